"""Prompt text taken from installed packages (never from files committed to the repo)."""

from prompts.examples import default_prompt

__all__ = ["default_prompt"]
