"""Small training problems that score optimizer programs, and their fitness."""
