"""Scale a batch out over Dask (``eventide[dask]``) or Ray Data (``eventide[ray]``): the engine
partitions and schedules, each worker runs its partitions (or batches) through one reused
client and writes ``eventide batch`` records.

    import dask.bag as db
    from eventide.scale import read_rows, run_partition

    bag = db.from_sequence(rows, npartitions=8)
    bag.map_partitions(run_partition, out_dir="out", base_url=url, model="gpt-4o-mini").compute()
    records = list(read_rows("out"))

See docs/scale-out.md.
"""

from ._clients import close_clients as close_clients
from ._files import RunMismatchError as RunMismatchError
from ._files import read_rows as read_rows
from ._limits import DaskLimits as DaskLimits
from ._limits import RayLimits as RayLimits
from ._limits import SharedLimits as SharedLimits
from ._partition import Options as Options
from ._partition import run_partition as run_partition
from ._ray import RECORD_COLUMNS as RECORD_COLUMNS
from ._ray import RayBatchRunner as RayBatchRunner

__all__ = [
    "RECORD_COLUMNS",
    "DaskLimits",
    "Options",
    "RayBatchRunner",
    "RayLimits",
    "RunMismatchError",
    "SharedLimits",
    "close_clients",
    "read_rows",
    "run_partition",
]
