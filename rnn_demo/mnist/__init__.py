"""The MNIST wing: classifiers that read a 28x28 digit one row per time step, and their training."""
