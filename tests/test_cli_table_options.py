"""The CLI's compression choices stay the ones the table writer accepts."""

from maou_kit.cli.table_options import COMPRESSIONS
from maou_kit.data.table_io import FEATHER_COMPRESSIONS


def test_cli_compressions_equal_the_writer_compressions():
    assert COMPRESSIONS == FEATHER_COMPRESSIONS
