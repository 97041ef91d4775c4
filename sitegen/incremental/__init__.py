"""What lets a build skip work: the build cache and the no-change record."""
