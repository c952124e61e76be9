"""Seeds and streams (generator), fans and gains (fans, the only fan code), and the plans that
turn a scheme's parameters into what a backend fill takes (plans)."""
