"""The BPMN engine: SpiffWorkflow parses a definition's BPMN (and DMN tables), runs an instance to its next user
tasks, and serialises it. Parsed specs are cached per definition version (a version never changes once stored), so
an instance's serialisation holds only its state — its tasks and data — and names the version it runs on by the
fingerprint of that version's files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection
from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from digipark.approvals.calendar import china
from digipark.core.errors import ValidationFailed, field_error

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))  # whole workflows (older rows)
APPLICANT_LANE = "applicant"
DECISION_SUFFIX = "_decision"
UNLANED_DEPARTMENT = "park_office"  # a user task outside every lane is the park office's


@dataclasses.dataclass(frozen=True)
class UserTask:
    """A user task waiting for someone: the BPMN task id, its name, its lane (the department) and its properties."""

    spiff_id: str
    step: str
    title: str
    department: str
    kind: str  # review | correction
    deadline_working_days: int
    title_en: str = ""  # its English name (the Spiff property `name_en`), "" without one


@dataclasses.dataclass(frozen=True)
class ParsedDefinition:
    fingerprint: str  # SHA-256 of the BPMN and DMN files and the called processes
    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    steps: tuple[tuple[str, str, str], ...]  # (task id, name, lane) of every user task, in document order
    name_en: str = ""  # the process's English name (the Spiff property `name_en` of the process), "" without one


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(bpmn_xml: str, dmn_xml: tuple[str, ...], called: tuple[str, ...] = ()) -> str:
    return sha256(json.dumps([bpmn_xml, *dmn_xml, *(["called", *called] if called else [])]))


def parse(bpmn_xml: str, dmn_xml: tuple[str, ...] = (), called: tuple[str, ...] = ()) -> ParsedDefinition:
    """Parse a definition: its process, the DMN tables its business rule tasks call and the processes its call
    activities call; 422 (field `bpmn_xml`) when it is not a single executable process Spiff can run."""
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        keys = parser.get_process_ids()
        if len(keys) != 1:
            raise field_error("bpmn_xml", f"expected one executable process, found {len(keys)}")
        key = keys[0]
        for process in called:
            parser.add_bpmn_str(process.encode("utf-8"))
        for table in dmn_xml:
            parser.add_dmn_str(table.encode("utf-8"))
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
        extensions = SpiffTaskParser._parse_extensions(parser.get_process_parser(key).node)
        name_en = str(extensions.get("properties", {}).get("name_en", ""))
    except ValidationFailed:
        raise
    except Exception as exc:  # untrusted XML: whatever the parser trips over is the input's fault, not a 500
        raise field_error("bpmn_xml", f"not a runnable BPMN process: {type(exc).__name__}: {exc}"[:500]) from exc
    steps = tuple(
        (name, task_spec.bpmn_name or name, task_spec.lane or "")
        for name, task_spec in spec.task_specs.items()
        if task_spec.__class__.__name__ == "UserTask"
    )
    return ParsedDefinition(
        fingerprint(bpmn_xml, dmn_xml, called), key, spec.description or key, spec, subprocess_specs, steps, name_en
    )


_PARSED: dict[str, ParsedDefinition] = {}
PARSED_KEPT = 256


def parsed(bpmn_xml: str, dmn_xml: tuple[str, ...], called: tuple[str, ...] = ()) -> ParsedDefinition:
    """A stored version's parsed definition, parsed once per process."""
    key = fingerprint(bpmn_xml, dmn_xml, called)
    found = _PARSED.get(key)
    if found is None:
        found = parse(bpmn_xml, dmn_xml, called)
        if len(_PARSED) >= PARSED_KEPT:
            _PARSED.pop(next(iter(_PARSED)), None)
        _PARSED[key] = found
    return found


def statutory_deadline(working_days: int) -> str:
    """For timer events (`<bpmn:timeDate>statutory_deadline(5)</bpmn:timeDate>`): the end of the `working_days`-th
    working day from now, as a step's deadline (`calendar`), in ISO 8601."""
    return china().deadline(dt.datetime.now(dt.UTC), int(working_days)).isoformat()


SCRIPT_ENGINE = PythonScriptEngine(environment=TaskDataEnvironment({"statutory_deadline": statutory_deadline}))


def start(definition: ParsedDefinition, data: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    return workflow


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """SpiffWorkflow's workflow conversion without the specs (the way its documentation's SQLite serializer stores
    specs apart from instances): restoring takes the specs of the parsed definition."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], definition: ParsedDefinition) -> BpmnWorkflow:
        workflow = self.target_class(definition.spec, definition.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


STATE_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _StateConverter})
)
DEFINITION_KEY = "definition"


class Loaded(NamedTuple):
    workflow: BpmnWorkflow
    definition: ParsedDefinition


def load(serialised: str, definition: Callable[[], ParsedDefinition]) -> Loaded:
    """An instance's workflow from its serialisation; `definition` gives its version's parsed definition when the
    process has not parsed it yet. A serialisation of the whole workflow (with its specs, as written before) loads
    too; the next `dump` writes only its state."""
    dct = json.loads(serialised)
    if "spec" in dct:
        SERIALIZER.migrate(dct)
        loaded = Loaded(SERIALIZER.from_dict(dct), definition())
    else:
        process = _PARSED.get(dct.pop(DEFINITION_KEY)) or definition()
        if dct.pop(STATE_SERIALIZER.VERSION_KEY) != STATE_SERIALIZER.VERSION:
            raise ValueError("workflow state written by another SpiffWorkflow serializer version")
        loaded = Loaded(STATE_SERIALIZER.from_dict(dct, definition=process), process)
    loaded.workflow.script_engine = SCRIPT_ENGINE
    return loaded


def dump(workflow: BpmnWorkflow, definition: ParsedDefinition) -> str:
    """The workflow's state (tasks, data, events) naming its definition version; not its specs. (Not the registry's
    `_encoder_mode` that `serialize_json` flips: a flag shared by every thread.)"""
    dct = STATE_SERIALIZER.to_dict(workflow)
    dct[STATE_SERIALIZER.VERSION_KEY] = STATE_SERIALIZER.VERSION
    dct[DEFINITION_KEY] = definition.fingerprint
    return json.dumps(dct, cls=STATE_SERIALIZER._encoder_cls)


def waiting(workflow: BpmnWorkflow) -> list[UserTask]:
    """The user tasks ready to be done, in a stable order."""
    found = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        properties = task.task_spec.extensions.get("properties", {})
        found.append(
            UserTask(
                spiff_id=str(task.id),
                step=task.task_spec.name,
                title=task.task_spec.bpmn_name or task.task_spec.name,
                department=task.task_spec.lane or UNLANED_DEPARTMENT,
                kind=properties.get("kind", "review"),
                deadline_working_days=int(properties.get("deadline_working_days", "5")),
                title_en=str(properties.get("name_en", "")),
            )
        )
    return sorted(found, key=lambda t: (t.step, t.spiff_id))


def _ready(workflow: BpmnWorkflow, spiff_id: str) -> Task:
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        if str(task.id) == spiff_id:
            return task
    raise LookupError(spiff_id)


def complete(workflow: BpmnWorkflow, spiff_id: str, data: dict[str, Any], *, new_round: bool = False) -> None:
    """Complete a ready user task with `data` and run the engine to the next waiting tasks. `new_round`: the
    reviews start again (a correction): the earlier decisions are dropped, so that a parallel join merges only the
    new ones (a branch's stale copy of another department's decision would otherwise win the merge)."""
    task = _ready(workflow, spiff_id)
    if new_round:
        for key in [k for k in task.data if k.endswith(DECISION_SUFFIX)]:
            del task.data[key]
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def decision_key(step: str) -> str:
    """The process variable a review's decision goes to (the gateways' conditions read it)."""
    return f"{step}{DECISION_SUFFIX}"


def run_timers(workflow: BpmnWorkflow) -> bool:
    """Fire the timer events that are due and run the engine on; whether the waiting user tasks changed."""
    before = [t.spiff_id for t in waiting(workflow)]
    workflow.refresh_timers()
    workflow.do_engine_steps()
    return [t.spiff_id for t in waiting(workflow)] != before


def ended_at(workflow: BpmnWorkflow, outcomes: Collection[str]) -> str | None:
    """Which of the end events `outcomes` a completed workflow reached (None while it runs, or when it reached
    none of them)."""
    if not workflow.is_completed():
        return None
    ends = [
        t.task_spec.name
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.__class__.__name__ == "EndEvent" and t.task_spec.name in outcomes
    ]
    return ends[-1] if ends else None


def data(workflow: BpmnWorkflow) -> dict[str, Any]:
    return dict(workflow.data)


def active_steps(workflow: BpmnWorkflow) -> list[str]:
    """The BPMN ids where the instance stands now (for the diagram)."""
    states = TaskState.READY | TaskState.WAITING | TaskState.STARTED  # STARTED: a call activity under way
    return sorted({t.task_spec.name for t in workflow.get_tasks(state=states)})
