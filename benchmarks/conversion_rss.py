"""`python -m benchmarks.conversion_rss FOLDER OUTPUT`: convert-records in a fresh process,
printing one JSON line with its peak RSS (MiB), rows and seconds (for `conversion`)."""

from __future__ import annotations

import json
import resource
import sys
import time

from maou_kit.data.convert import convert_records_to_file

if __name__ == "__main__":
    started = time.perf_counter()
    report = convert_records_to_file([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]))
    seconds = time.perf_counter() - started
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        json.dumps({"peak_rss_mib": peak_kib / 1024, "rows": report.positions, "seconds": seconds})
    )
