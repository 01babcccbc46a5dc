"""Benchmark cases, one module each (`async def main(run: Run) -> None`)."""
