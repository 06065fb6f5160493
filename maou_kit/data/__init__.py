"""Tables and datasets: building stage tables from games, reading/writing them, feeding torch."""
