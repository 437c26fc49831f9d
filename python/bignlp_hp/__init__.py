"""bignlp-hp: size, configure, search and serve large language models on NeMo-Megatron.

A thin layer over the C++ library libhp (module ``bignlp_hp._core``). Every function takes keyword
arguments with the same names and defaults as ``hp-cli``; bad input raises :class:`ConfigError`
(a :class:`ValueError`) whose message names the key and the value.
"""

from ._core import (  # noqa: F401
    __version__,
    ConfigError,
    Error,
    ExecutorError,
    IoError,
    LogParseError,
    NoFeasibleLayoutError,
)
from ._core import *  # noqa: F401,F403  (the binding's public functions and classes)
from .inference import InferenceSearch, inference_search  # noqa: F401,E402
from .perf import estimate_table, to_pandas  # noqa: F401,E402
from .search import SearchResult, search  # noqa: F401,E402
from .serving import ServingSearch, serving_search  # noqa: F401,E402
from .trials import TrialResults, collect, resume, run_search  # noqa: F401,E402
