"""The project's commands that are not the product's: the benchmark, mutation testing, the shell wrappers."""
