"""The layer that writes the stream: the contract (codes), the dispatch between the compiled
core and the Numba port (dispatch), the CUDA device arrays (cuda) and the Numba port (numba).
Everything above it hands over validated arguments only."""
