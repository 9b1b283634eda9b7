"""Regression against a stored reward curve: a fixed-seed prefix of the canton preset must
stay inside the first episodes of canton's reference band (reproduce/references/canton.csv)."""
from ddpg_graph.config import Config
from ddpg_graph.reference import Reference, compare
from ddpg_graph.runner import Trainer

EPISODES = 50
SEED = 7  # not one of the seeds the reference was built from


def test_canton_prefix_follows_its_reference(tmp_path):
    reference = Reference.load("canton").prefix(EPISODES)
    config = Config.from_preset("canton", seed=SEED, total_episodes=EPISODES, scope="off",
                                eval_every_steps=0, checkpoint_every_steps=0, intra_op_threads=1,
                                inter_op_threads=1)
    trainer = Trainer(config, str(tmp_path / "run"), progress=False)
    history = trainer.run()
    trainer.close()
    assert len(history) == EPISODES
    verdict = compare(history, reference)
    assert verdict.passed, verdict.describe()
    # the prefix does learn: its last 10 episodes beat its first 10 by a clear margin
    returns = history.column("return")
    assert sum(returns[-10:]) / 10 > sum(returns[:10]) / 10 + 200
