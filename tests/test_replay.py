import numpy as np
import pytest

from ddpg_graph.replay import ReplayBuffer


def filled(capacity, n, seed=0):
    buffer = ReplayBuffer(capacity, 2, 1, np.random.default_rng(seed))
    for i in range(n):
        buffer.add([i, -i], [i / 10], i, i % 2, [i + 1, -i - 1])
    return buffer


def test_wraps_around_keeping_the_newest():
    buffer = filled(capacity=5, n=12)
    assert len(buffer) == 5 and buffer.position == 12 % 5
    assert sorted(buffer.storage["r"][:, 0]) == [7, 8, 9, 10, 11]


def test_add_batch_stores_as_adds_one_by_one_across_the_ring_end():
    """A vector step's N transitions at once: within the ring and wrapping past its end."""
    batched = ReplayBuffer(5, 2, 1, np.random.default_rng(0))
    for start, n in ((0, 3), (3, 4), (7, 2), (9, 5)):  # the second and fourth wrap
        i = np.arange(start, start + n, dtype=np.float64)
        batched.add_batch(np.stack([i, -i], 1), i[:, None] / 10, i, i % 2, np.stack([i + 1, -i - 1], 1))
    one_by_one = filled(capacity=5, n=14)
    for key in one_by_one.storage:
        np.testing.assert_array_equal(batched.storage[key], one_by_one.storage[key], err_msg=key)
    assert (batched.position, len(batched)) == (one_by_one.position, len(one_by_one)) == (4, 5)


def test_sample_returns_consistent_stored_transitions():
    buffer = filled(capacity=50, n=30)
    batch = buffer.sample(64)
    assert {k: v.shape for k, v in batch.items()} == {
        "s": (64, 2), "a": (64, 1), "r": (64, 1), "done": (64, 1), "s2": (64, 2)}
    i = batch["r"][:, 0]
    np.testing.assert_array_equal(batch["s"][:, 0], i)
    np.testing.assert_array_equal(batch["s2"][:, 0], i + 1)
    np.testing.assert_allclose(batch["a"][:, 0], i / 10, rtol=1e-6)
    np.testing.assert_array_equal(batch["done"][:, 0], i % 2)
    assert set(i) <= set(range(30)) and len(set(i)) > 20


def test_sampling_is_seeded_and_uniform():
    a, b, c = filled(100, 100, seed=3), filled(100, 100, seed=3), filled(100, 100, seed=4)
    draws_a = np.concatenate([a.sample(32)["r"][:, 0].copy() for _ in range(500)])
    draws_b = np.concatenate([b.sample(32)["r"][:, 0].copy() for _ in range(500)])
    np.testing.assert_array_equal(draws_a, draws_b)
    assert not np.array_equal(draws_a[:32], c.sample(32)["r"][:, 0])
    counts = np.bincount(draws_a.astype(int), minlength=100)
    assert counts.min() > 100 and counts.max() < 230  # 160 expected per index


def test_sample_reuses_its_output_arrays():
    buffer = filled(10, 10)
    first = buffer.sample(4)
    second = buffer.sample(4)
    assert first["s"] is second["s"]


def test_empty_buffer_refuses_to_sample():
    with pytest.raises(ValueError):
        ReplayBuffer(4, 1, 1, np.random.default_rng(0)).sample(2)


def test_stacked_samples_are_independent_consistent_batches():
    buffer = filled(capacity=50, n=30)
    batches = buffer.sample(16, steps=3)
    assert {k: v.shape for k, v in batches.items()} == {
        "s": (3, 16, 2), "a": (3, 16, 1), "r": (3, 16, 1), "done": (3, 16, 1), "s2": (3, 16, 2)}
    i = batches["r"][..., 0]
    np.testing.assert_array_equal(batches["s2"][..., 0], i + 1)
    assert not np.array_equal(i[0], i[1])
    assert buffer.sample(16)["s"].shape == (16, 2)  # back to single batches


def test_sampling_allocates_nothing_per_call():
    import tracemalloc
    buffer = filled(capacity=5000, n=5000)
    buffer.sample(4096)  # the first call of a shape allocates the reused arrays
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(20):
            buffer.sample(4096)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - before < 4096  # a fresh index alone would be 32 KiB
