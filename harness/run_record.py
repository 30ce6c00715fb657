"""run.json as a typed record: written when a run starts, completed when it ends, read back by the re-audit.

A run folder written before a key existed still reads: a missing key takes the value that run would have had
(its profile's evidence floor, "not listed" scheduled faults, no load times), never a crash or a silent pass.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING

from harness.audit.evidence import ScheduledFault
from harness.errors import UsageError
from harness.profiles import PROFILES, Profile
from harness.report.slo import SLOConfig

if TYPE_CHECKING:
    from faults.schedule import Schedule
    from harness.session import RunContext, RunOptions

_PROFILE_FIELDS = {f.name for f in fields(Profile)}


@dataclass(frozen=True)
class RunRecord:
    profile: Profile
    seed: int | None = None
    bugs: tuple[str, ...] = ()
    target: str = "local"
    workers: int = 0
    allow_remote: bool = False
    out_root: str = ""
    run_dir: str = ""
    config: str | None = None
    slo: SLOConfig | None = None                            # None: the defaults
    scheduled_faults: tuple[ScheduledFault, ...] | None = None   # None: run.json does not say (an old run)
    load_started: float | None = None    # epoch seconds of the first diners (t = 0 of the timeline)
    load_ended: float | None = None
    probe: str = ""
    events: tuple[dict, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, options: "RunOptions", run_dir, schedule: "Schedule | None") -> "RunRecord":
        """What run.json says before the stack is up: the options and the scheduled faults."""
        return cls(profile=options.profile, seed=options.seed, bugs=tuple(options.bugs), target=options.target,
                   workers=options.workers, allow_remote=options.allow_remote, out_root=str(options.out_root),
                   run_dir=str(run_dir), config=str(options.config) if options.config else None, slo=options.slo,
                   scheduled_faults=tuple(ScheduledFault(e.index, e.use, e.at, e.for_s)
                                          for e in (schedule.entries if schedule is not None else ())))

    def finished(self, ctx: "RunContext") -> "RunRecord":
        """The record completed with what the session saw (load times, probe, events)."""
        return replace(self, load_started=ctx.load_started_wall, load_ended=ctx.load_ended_wall,
                       probe=ctx.probe_line, events=tuple(ctx.events),
                       extra={"probe": ctx.probe_line} if ctx.probe_line else {})

    @property
    def slo_config(self) -> SLOConfig:
        return self.slo if self.slo is not None else SLOConfig()

    def to_json(self) -> str:
        d = asdict(self)
        d.update(profile=asdict(self.profile), slo=asdict(self.slo) if self.slo else None,
                 scheduled_faults=None if self.scheduled_faults is None
                 else [f.to_dict() for f in self.scheduled_faults],
                 bugs=list(self.bugs), events=list(self.events))
        if self.scheduled_faults is None:
            del d["scheduled_faults"]
        return json.dumps(d, indent=2, default=str)

    @classmethod
    def from_json(cls, text: str, where: str = "run.json") -> "RunRecord":
        try:
            raw = json.loads(text)
        except ValueError as err:
            raise UsageError(f"{where} is not JSON ({err}): the run folder is damaged") from None
        if not isinstance(raw, dict):
            raise UsageError(f"{where} is not a JSON object: the run folder is damaged")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> "RunRecord":
        prof = _profile(raw.get("profile") or {})
        scheduled = raw.get("scheduled_faults", ...)
        if scheduled is ...:   # before the evidence floor: a run without faults still proves it had none
            faults = () if (raw.get("profile") or {}).get("schedule") == "none" else None
        else:
            faults = tuple(ScheduledFault.from_dict(d) for d in scheduled or ())
        slo = raw.get("slo")
        return cls(profile=prof, seed=raw.get("seed"), bugs=tuple(raw.get("bugs") or ()),
                   target=str(raw.get("target") or "local"), workers=int(raw.get("workers") or 0),
                   allow_remote=bool(raw.get("allow_remote")), out_root=str(raw.get("out_root") or ""),
                   run_dir=str(raw.get("run_dir") or ""), config=raw.get("config"),
                   slo=SLOConfig(**{k: v for k, v in slo.items() if k in _SLO_FIELDS}) if slo else None,
                   scheduled_faults=faults, load_started=raw.get("load_started"), load_ended=raw.get("load_ended"),
                   probe=str(raw.get("probe") or ""), events=tuple(raw.get("events") or ()),
                   extra={k: str(v) for k, v in (raw.get("extra") or {}).items()})


_SLO_FIELDS = {f.name for f in fields(SLOConfig)}


def _profile(raw: dict) -> Profile:
    """The recorded profile; a key it lacks (an older run) comes from the built-in profile of that name, else from
    Profile's defaults (an unknown schedule: the faults cannot be proved)."""
    known = PROFILES.get(str(raw.get("name")))
    base = asdict(known) if known is not None else {
        "name": str(raw.get("name") or "?"), "description": "", "schedule": "?", "duration_s": 0.0, "users": 0,
        "spawn_rate": 0.0}
    return Profile(**{**base, **{k: v for k, v in raw.items() if k in _PROFILE_FIELDS}})
