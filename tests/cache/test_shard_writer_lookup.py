"""ShardWriter.get/put: a batch run's writer stands in for a store (the training commands hand it
to pipeline functions that call get and put), reading the main store and every finished shard."""

from __future__ import annotations

from cache import open_store
from cache.shards import ShardWriter, list_shards


def _record(value: int) -> dict:
    return dict(kind="test", spec={"v": value}, meta={"value": value}, arrays={})


def test_get_finds_results_in_the_run_s_own_shard_in_finished_shards_and_in_the_main_store(tmp_path):
    main_path = tmp_path / "results.duckdb"
    main = open_store(main_path)
    main.put("in-main", **_record(1))
    main.close()
    earlier = ShardWriter(main_path, rotate_seconds=None)
    earlier.put("in-old-shard", **_record(2))
    earlier.close(merge=False)  # a finished shard, not merged yet
    writer = ShardWriter(main_path, rotate_seconds=None)
    writer.put("in-own-shard", **_record(3))
    assert writer.get("in-main").meta == {"value": 1}
    assert writer.get("in-old-shard").meta == {"value": 2}
    assert writer.get("in-own-shard").meta == {"value": 3}
    assert writer.get("nowhere") is None
    writer.put("in-main", **_record(4))  # the newest result of a key wins, as a second put would
    assert writer.get("in-main").meta == {"value": 4}
    writer.close(merge=True)
    assert not list_shards(main_path)
    merged = open_store(main_path)
    assert {key: merged.get(key).meta["value"] for key in merged.keys()} == {"in-main": 4, "in-old-shard": 2,
                                                                              "in-own-shard": 3}
