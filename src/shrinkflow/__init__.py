"""shrinkflow: measure what compression of training data (and later of models) does to neural networks."""

__version__ = "0.1.0"
