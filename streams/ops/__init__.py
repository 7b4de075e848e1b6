"""Commands run from the shell: the CLI, the embedded broker, rebuild, import, load generation."""
