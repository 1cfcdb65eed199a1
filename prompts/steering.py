"""Bundled data for the Steering page: neutral text to fit layer-to-layer maps on, and contrastive
concepts (sentence pairs, target words, test prompts) to find, transfer and measure steering vectors.

Written for this project (no external source); the concepts are data, in
``steering_concepts.json``. A concept's pairs differ only in the concept (the same content said
positively and negatively, formally and casually, in English and in French); its target words
are what the concept should make more (``toward``) or less (``away``) likely as the next word; its
prompts are neutral beginnings that do not lean either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAP_TEXTS: tuple[str, ...] = (
    "The library opens at nine in the morning and closes at six in the evening. On weekdays the reading room "
    "is usually quiet, while on Saturdays families come to borrow picture books and attend short story hours.",
    "A river starts as rain falling on high ground. The water gathers in small streams, which join to form a "
    "larger channel that carries sand, stones and leaves down towards the sea over many years.",
    "To make bread, mix flour, water, salt and yeast, then knead the dough for about ten minutes. Let it rise "
    "in a warm place for an hour, shape it into a loaf, and bake it until the crust turns golden brown.",
    "The committee met on Tuesday to discuss the budget for next year. Several members asked for more detail "
    "about the cost of repairs to the roof, and the chair agreed to circulate a report before the next meeting.",
    "Trains leave the central station every fifteen minutes during the day. Passengers can buy tickets from "
    "machines on the platform or from the office near the main entrance, which also sells weekly passes.",
    "Most plants need light, water and carbon dioxide to grow. In the leaves, chlorophyll absorbs sunlight, and "
    "the energy is used to turn water and carbon dioxide into sugar and oxygen.",
    "The old town has narrow streets, a market square and a stone bridge across the river. Visitors often walk "
    "along the wall, which was built in the fourteenth century and still surrounds part of the centre.",
    "A computer program is a list of instructions. The processor reads each instruction from memory, carries it "
    "out, and moves on to the next one, unless the instruction tells it to jump somewhere else.",
    "In winter the lake freezes near the shore, and birds gather in the open water further out. By March the "
    "ice has melted, the first boats return to the harbour, and the paths around the water fill with walkers.",
    "The museum holds a collection of maps drawn between the sixteenth and nineteenth centuries. Some show "
    "coastlines that were later found to be wrong, and others record roads and villages that no longer exist.",
    "Each student will present a short project at the end of the term. The presentation should explain the "
    "question, describe the method, show the results, and suggest what could be studied next.",
    "The recipe calls for two cups of rice, four cups of water, an onion, a clove of garlic and a little oil. "
    "Cook the onion and garlic first, add the rice, then pour in the water and simmer for twenty minutes.",
    "Weather forecasts combine measurements from satellites, balloons and ground stations with models of the "
    "atmosphere. The models divide the air into a grid and calculate how temperature and pressure change.",
    "The shop on the corner sells newspapers, bread, milk and a few vegetables. It opens early, before the "
    "buses start running, and the owner knows most of the customers by name.",
    "A bicycle chain connects the pedals to the rear wheel. When the rider changes gear, the chain moves to a "
    "larger or smaller sprocket, which changes how far the bicycle travels with each turn of the pedals.",
    "The report describes the number of visitors to the park in each month of the year, the most popular "
    "entrances, and the times of day when the car park is full.",
)


@dataclass(frozen=True)
class Concept:
    """A contrastive concept: pairs (toward, away), target words and neutral test prompts."""

    name: str
    toward_label: str
    away_label: str
    pairs: tuple[tuple[str, str], ...]
    toward_words: tuple[str, ...]
    away_words: tuple[str, ...]
    prompts: tuple[str, ...]


CONCEPTS_FILE = Path(__file__).with_name("steering_concepts.json")


def _read_concepts() -> dict[str, Concept]:
    """The bundled concepts, in the order of ``steering_concepts.json`` (plain data: each entry has
    the fields of :class:`Concept`; pairs are [toward, away] sentences)."""
    entries = json.loads(CONCEPTS_FILE.read_text(encoding="utf-8"))
    return {entry["name"]: Concept(name=entry["name"], toward_label=entry["toward_label"],
                                   away_label=entry["away_label"],
                                   pairs=tuple((toward, away) for toward, away in entry["pairs"]),
                                   toward_words=tuple(entry["toward_words"]), away_words=tuple(entry["away_words"]),
                                   prompts=tuple(entry["prompts"]))
            for entry in entries}


CONCEPTS: dict[str, Concept] = _read_concepts()
DEFAULT_CONCEPT = "sentiment"
