"""`--under NAME[:VALUE|:k=v,...]`: the one fault `dinerush capacity` holds for the whole search."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UsageError


@dataclass(frozen=True)
class Under:
    """One fault held for the whole search (`--under NAME[:VALUE|:k=v,...]`)."""

    fault: str
    params: object        # the fault's typed Params
    text: str

    @property
    def label(self) -> str:
        return self.text


def parse_under(text: str) -> Under:
    """`weak_network:3g` (the fault's first parameter), `gateway_slow:latency_ms=800,jitter_ms=100`, `db_stall`."""
    from faults.errors import FaultError, ParamError
    from faults.registry import FAULTS, get

    name, _, rest = (text or "").strip().partition(":")
    try:
        fault = get(name)
    except FaultError:
        raise UsageError(f"--under {text!r}: unknown fault {name!r}; use one of {', '.join(FAULTS)} "
                         f"(e.g. weak_network:3g)") from None
    infos = {p.name: p for p in fault.params}
    raw: dict[str, object] = {}
    if rest:
        parts = [p.strip() for p in rest.split(",") if p.strip()]
        if len(parts) == 1 and "=" not in parts[0] and fault.params:
            parts = [f"{fault.params[0].name}={parts[0]}"]
        for part in parts:
            k, sep, v = part.partition("=")
            info = infos.get(k.strip())
            if not sep or info is None:
                raise UsageError(f"--under {text!r}: {part!r} is not PARAM=VALUE with a param of {name} "
                                 f"({', '.join(infos) or 'none'}); see `dinerush faults show {name}`")
            v = v.strip()
            try:
                raw[info.name] = (v.lower() in ("1", "true", "yes", "on") if info.type is bool
                                  else info.type(v) if info.type in (int, float) else v)
            except ValueError:
                raise UsageError(f"--under {text!r}: {info.name} must be {info.type.__name__}, not {v!r}") from None
    try:
        params = fault.parse(raw)
    except ParamError as err:
        raise UsageError(f"--under {text!r}: {err}") from None
    return Under(fault.name, params, text.strip())
