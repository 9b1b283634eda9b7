from setuptools import find_packages, setup

setup(
    name="ddpg_graph",
    version="0.1.0",
    description="DDPG as static TensorFlow graphs (tf.compat.v1) on Gymnasium",
    packages=find_packages(include=["ddpg_graph", "ddpg_graph.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tf-keras>=2.21,<2.22",
        "gymnasium>=1.4,<1.5",
        "shimmy>=2.0,<2.1",
        "numpy>=2.0",
        "opencv-python>=4.8",
        "tensorboard>=2.21",
        "tqdm>=4.60",
        "matplotlib>=3.7",
        "pygame>=2.5",
        "pillow>=10",
        "ray>=2.60,<2.61",
        "optuna>=5.0,<5.1",
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.8", "torch==2.13.0", "stable-baselines3==2.9.2"],
        # envs written for the old gym package (gym:ID, gym 0.26 and pre-0.26 env objects)
        "legacy": ["gym==0.26.2"],
        # Gymnasium's MuJoCo envs (InvertedPendulum-v5, HalfCheetah-v5, ...)
        "mujoco": ["gymnasium[mujoco]>=1.4,<1.5"],
        # tools/bench.py: Stable-Baselines3 and SBX (SB3 on JAX) DDPG side by side (torch: the
        # CPU build; sbx-rl brings JAX's CPU build)
        "bench": ["torch==2.13.0", "stable-baselines3==2.9.2", "sbx-rl==0.28.0", "jax==0.10.2",
                  "scipy==1.17.1", "rliable==1.2.0"],
    },
    entry_points={"console_scripts": ["ddpg-graph=ddpg_graph.cli:main"]},
)
