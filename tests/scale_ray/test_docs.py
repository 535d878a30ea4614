"""The Ray example of docs/scale-out.md (fenced ``python title="Not run: needs the ray
extra..."``: the main suite does not import ray) runs here as it is, on the local Ray cluster,
against the loopback upstream."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.docs_examples import DOCS, run_example

if TYPE_CHECKING:
    from pathlib import Path

PAGE = "scale-out.md"
BLOCKS = re.findall(
    r'```python title="Not run: needs the ray extra[^"]*"\n(.*?)```',
    (DOCS / PAGE).read_text("utf-8"),
    flags=re.DOTALL,
)

pytestmark = [
    pytest.mark.usefixtures("ray_cluster"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # Ray Data's own settings
]


async def test_docs_ray_example_runs(base_url: str, tmp_path: Path) -> None:
    (block,) = BLOCKS
    await run_example(PAGE, block, base_url=base_url, tmp_path=tmp_path)
