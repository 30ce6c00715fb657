"""What a fault is: typed parameters (a frozen dataclass per fault), a plan of toxics and link-down
actions computed from them, and generic apply/heal over a `ToxiproxyClient`.

Parameters are declared once, as dataclass fields; `field(metadata=meta(...))` adds help text,
choices and bounds, which drive validation, `dinerush faults show` and the schedule validator.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Protocol, TypeVar

from faults.actuators import Actuators, actuators_of
from faults.client import ToxicSpec, ToxicState
from faults.errors import FaultError, ParamError, ToxiproxyUnresponsive, first_error
from faults.topology import LINKS_BY_NAME

P = TypeVar("P")


def meta(help: str, choices: tuple[str, ...] = (), min: float | None = None, max: float | None = None,
         min_exclusive: bool = False) -> dict[str, object]:
    """Metadata of a parameter field: help text, allowed choices, inclusive bounds (or exclusive min)."""
    return {"help": help, "choices": choices, "min": min, "max": max, "min_exclusive": min_exclusive}


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: type           # int, float, str or bool
    default: object
    help: str
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False

    def describe(self) -> str:
        rng = ""
        if self.choices:
            rng = " one of " + "|".join(self.choices)
        elif self.min is not None or self.max is not None:
            lo = "" if self.min is None else f"{'>' if self.min_exclusive else '>='} {self.min:g}"
            hi = "" if self.max is None else f"<= {self.max:g}"
            rng = " " + ", ".join(x for x in (lo, hi) if x)
        return f"{self.name} ({self.type.__name__}, default {self.default!r}{rng}): {self.help}"


def param_infos(params_type: type) -> tuple[ParamInfo, ...]:
    hints = {"int": int, "float": float, "str": str, "bool": bool}
    out = []
    for f in dataclasses.fields(params_type):
        typ = f.type if isinstance(f.type, type) else hints[str(f.type)]
        m = f.metadata
        out.append(ParamInfo(f.name, typ, f.default, str(m.get("help", "")), tuple(m.get("choices", ())),
                             m.get("min"), m.get("max"), bool(m.get("min_exclusive", False))))
    return tuple(out)


def coerce(info: ParamInfo, value: object) -> object:
    """Check one raw value (from TOML or the CLI) against its declared type, choices and bounds."""
    t = info.type
    ok = (isinstance(value, bool) if t is bool else
          isinstance(value, t) and not isinstance(value, bool) if t in (int, str) else
          isinstance(value, (int, float)) and not isinstance(value, bool))
    if not ok:
        raise ParamError(f"param {info.name} must be {'a number' if t is float else 'an ' + t.__name__ if t is int else 'a ' + t.__name__}, "
                         f"not {type(value).__name__} {value!r}")
    if t is float:
        value = float(value)  # type: ignore[arg-type]
    if info.choices and value not in info.choices:
        raise ParamError(f"param {info.name} is {value!r}; choose one of {', '.join(info.choices)}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if info.min is not None and (value < info.min or (info.min_exclusive and value == info.min)):
            raise ParamError(f"param {info.name} is {value:g}; it must be {'>' if info.min_exclusive else '>='} {info.min:g}")
        if info.max is not None and value > info.max:
            raise ParamError(f"param {info.name} is {value:g}; it must be <= {info.max:g}")
    return value


@dataclass(frozen=True)
class LinkToxic:
    link: str
    spec: ToxicSpec


@dataclass(frozen=True)
class Step:
    """An action beyond the wire: `actuator.<apply>(target, **args)` at apply, `actuator.<heal>(target)` at heal.

    e.g. Step("processes", "kill", "start", "kitchen") or Step("gateway", "set_chaos", "clear_chaos", "",
    (("error_rate", 0.3),)). `target` is a part name for processes, "" for the gateway."""

    actuator: str
    apply: str
    heal: str
    target: str = ""
    args: tuple[tuple[str, object], ...] = ()

    def label(self) -> str:
        bits = ",".join(f"{k}={v}" for k, v in self.args)
        return f"{self.target or self.actuator}:{self.apply}" + (f"({bits})" if bits else "")


@dataclass(frozen=True)
class Plan:
    """What a fault does with given params: toxics to add, links to take down, steps beyond the wire."""

    toxics: tuple[LinkToxic, ...] = ()
    down: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([t.link for t in self.toxics] + list(self.down)))

    @property
    def parts(self) -> tuple[str, ...]:
        """What the steps act on ("kitchen", "postgres", "gateway"...), so two faults never stack on one."""
        return tuple(dict.fromkeys(s.target or s.actuator for s in self.steps))

    @property
    def actuators(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.actuator for s in self.steps))

    def tagged(self, tag: str) -> "Plan":
        """The same plan with toxic names prefixed by `tag`, so overlapping faults never collide."""
        if not tag:
            return self
        return Plan(tuple(LinkToxic(t.link, dataclasses.replace(t.spec, name=f"{tag}_{t.spec.resolved_name}"))
                          for t in self.toxics), self.down, self.steps)

    def summary(self) -> str:
        parts = [f"{t.link}:{t.spec.type}/{t.spec.stream}{_attrs(t.spec)}" for t in self.toxics]
        parts += [f"{link}:down" for link in self.down]
        parts += [s.label() for s in self.steps]
        return ", ".join(parts) or "nothing"


def _attrs(spec: ToxicSpec) -> str:
    bits = [f"{k}={v}" for k, v in spec.attributes.items()]
    if spec.toxicity != 1.0:
        bits.append(f"toxicity={spec.toxicity:g}")
    return "(" + ",".join(bits) + ")" if bits else ""


class FaultClient(Protocol):
    """The part of ToxiproxyClient a fault uses (a fake implements it in unit tests)."""

    def add_toxic(self, proxy: str, spec: ToxicSpec) -> ToxicState: ...
    def remove_toxic(self, proxy: str, toxic_name: str) -> None: ...
    def set_enabled(self, name: str, enabled: bool) -> Any: ...


def _call(actuator: object, method: str, target: str, args: dict[str, object]) -> object:
    """actuator.method(target, **args), or actuator.method(**args) for an actuator without parts."""
    fn = getattr(actuator, method)
    return fn(target, **args) if target else fn(**args)


def check_actuators(plan: Plan, acts: Actuators, fault: str) -> None:
    """Every actuator the plan's steps need is offered, and (when the actuator has a `check`) can do each step's
    apply and heal on its target; else FaultError naming the first gap."""
    for name in plan.actuators:
        acts.get(name, fault)
    for s in plan.steps:
        check = getattr(acts.get(s.actuator, fault), "check", None)
        if check is not None and s.target:
            try:
                check(s.target, (s.apply, s.heal))
            except FaultError as err:
                raise FaultError(f"fault {fault}: {err}") from None


@dataclass(frozen=True)
class Fault(Generic[P]):
    """A named fault of the catalogue. `plan(params)` is pure; apply/heal talk to Toxiproxy."""

    name: str
    description: str
    links: tuple[str, ...]
    params_type: type[P]
    plan_fn: Callable[[P], Plan]
    check_fn: Callable[[P], None] | None = None   # cross-parameter validation, raises ParamError
    notes: str = ""
    # Raw param sets the random nemesis picks from (each checked by `parse`); () = the defaults only.
    variants: tuple[Mapping[str, object], ...] = ()

    def __post_init__(self) -> None:
        for link in self.links:
            if link not in LINKS_BY_NAME:
                raise ValueError(f"fault {self.name}: unknown link {link}")

    @property
    def params(self) -> tuple[ParamInfo, ...]:
        return param_infos(self.params_type)

    def parse(self, raw: Mapping[str, object] | None = None) -> P:
        """Typed params from raw values (TOML/CLI); unknown names, wrong types or ranges raise ParamError."""
        raw = dict(raw or {})
        infos = {p.name: p for p in self.params}
        unknown = [k for k in raw if k not in infos]
        if unknown:
            known = ", ".join(infos) or "none"
            raise ParamError(f"{self.name} has no param {unknown[0]!r}; its params: {known}")
        try:
            values = {k: coerce(infos[k], v) for k, v in raw.items()}
        except ParamError as err:
            raise ParamError(f"{self.name}: {err}") from None
        params = self.params_type(**values)
        if self.check_fn is not None:
            self.check_fn(params)
        return params

    def plan(self, params: P | None = None) -> Plan:
        plan = self.plan_fn(self.parse() if params is None else params)
        stray = [link for link in plan.links if link not in self.links]
        assert not stray, f"{self.name} plans on undeclared links {stray}"
        return plan

    def toxics(self, params: P | None = None) -> list[tuple[str, ToxicSpec]]:
        return [(t.link, t.spec) for t in self.plan(params).toxics]

    def apply(self, client: FaultClient | Actuators, params: P | None = None, tag: str = "") -> Plan:
        """Add the toxics, take links down, then do the steps; returns the (tagged) plan that `heal` undoes.

        `client` is an Actuators, or a bare Toxiproxy client for a wire-only fault."""
        acts = actuators_of(client)
        plan = self.plan(params).tagged(tag)
        check_actuators(plan, acts, self.name)
        for t in plan.toxics:
            acts.links.add_toxic(t.link, t.spec)
        for link in plan.down:
            acts.links.set_enabled(link, False)
        tried: list[Step] = []
        try:
            for s in plan.steps:
                tried.append(s)
                _call(acts.get(s.actuator, self.name), s.apply, s.target, dict(s.args))
        except BaseException:
            # a step that failed may have half-happened (paused, then not read back as paused): undo the steps
            # tried, last first, best effort; the runner's undo covers the toxics and links
            for s in reversed(tried):
                try:
                    _call(acts.get(s.actuator, self.name), s.heal, s.target, {})
                except Exception:
                    pass
            raise
        return plan

    def heal(self, client: FaultClient | Actuators, plan: Plan, keep_down: frozenset[str] = frozenset()) -> None:
        """Undo the steps (last first), remove what `apply` added and bring links back up, except links
        another fault still holds down. Keeps healing after an error or an interrupt (Ctrl-C mid-heal must not
        leave a part down); raises the interrupt, else the first error, at the end."""
        acts = actuators_of(client)
        errors: list[BaseException] = []
        for s in reversed(plan.steps):
            try:
                _call(acts.get(s.actuator, self.name), s.heal, s.target, {})
            except BaseException as err:
                errors.append(err)
        client = acts.links
        for link in plan.down:
            if link not in keep_down:
                try:
                    client.set_enabled(link, True)
                except ToxiproxyUnresponsive:
                    raise   # a wedged server answers nothing more: no call after this one (each would time out)
                except BaseException as err:  # keep healing the rest, report the first
                    errors.append(err)
        for t in plan.toxics:
            try:
                client.remove_toxic(t.link, t.spec.resolved_name)
            except ToxiproxyUnresponsive:
                raise
            except BaseException as err:
                errors.append(err)
        if errors:
            raise first_error(errors)
