"""The one validation vocabulary: scalars (values), output arrays on the CPU and the GPU
(arrays), dtypes, overlap of strided layouts, and shards of a logical tensor (shard). Nothing
here draws a random number or writes an output."""
