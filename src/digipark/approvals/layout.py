"""Writes the demo processes' BPMN 2.0 files (with their diagram, so that bpmn-js draws them) from a short
description: lanes (the departments), nodes and flows. Run `python -m digipark.approvals.layout` after changing a
description; the .bpmn files under `processes/` are what the platform loads and what a park edits in a modeller.
A process and each user task carry their English name (the Spiff property `name_en`) for English pages."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.sax.saxutils import quoteattr

PROCESSES = Path(__file__).with_name("processes")
W, H, GAP_X, LANE_H, LANE_LABEL = 110, 70, 60, 130, 30
ACTIVITIES = ("userTask", "businessRuleTask", "callActivity")


@dataclasses.dataclass(frozen=True)
class Node:
    id: str
    kind: str  # startEvent, endEvent, userTask, exclusiveGateway, parallelGateway, businessRuleTask, callActivity,
    # boundaryEvent
    name: str
    lane: str
    properties: tuple[tuple[str, str], ...] = ()
    decision: str | None = None  # a businessRuleTask's DMN decision id
    called: str | None = None  # a callActivity's process id
    attached_to: str | None = None  # a boundaryEvent's task (it does not interrupt the task)
    timer: str | None = None  # a boundaryEvent's timeDate expression
    terminate: bool = False  # an endEvent that ends every other path of the process too


@dataclasses.dataclass(frozen=True)
class Flow:
    source: str
    target: str
    condition: str | None = None
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Process:
    id: str
    name: str
    name_en: str
    lanes: tuple[tuple[str, str], ...]  # (department key, display name)
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]


def review(node_id: str, name: tuple[str, str], lane: str, days: int) -> Node:
    """A reviewer's user task (`name`: Chinese and English): the reviewer approves, rejects with a reason, or
    returns it for correction."""
    properties = (("kind", "review"), ("deadline_working_days", str(days)), ("name_en", name[1]))
    return Node(node_id, "userTask", name[0], lane, properties)


def correction(node_id: str, days: int = 10) -> Node:
    properties = (("kind", "correction"), ("deadline_working_days", str(days)), ("name_en", "Correct the documents"))
    return Node(node_id, "userTask", "补正材料", "applicant", properties)


def decided(task: str, value: str) -> str:
    return f'{task}_decision == "{value}"'


def _columns(process: Process) -> dict[str, int]:
    """Column of each node: its longest distance from the start along forward flows (flows back are skipped)."""
    order = {n.id: i for i, n in enumerate(process.nodes)}
    column = {process.nodes[0].id: 0}
    for _ in process.nodes:
        for n in process.nodes:
            if n.attached_to in column:
                column[n.id] = column[n.attached_to]
        for f in process.flows:
            if order[f.target] > order[f.source] and f.source in column:
                column[f.target] = max(column.get(f.target, 0), column[f.source] + 1)
    return column


def render(process: Process) -> str:
    column = _columns(process)
    lanes = [key for key, _ in process.lanes]
    in_cell: dict[tuple[int, str], int] = {}
    bounds: dict[str, tuple[int, int, int, int]] = {}
    for node in process.nodes:
        cell = (column[node.id], node.lane)
        index = in_cell.get(cell, 0)
        in_cell[cell] = index + 1
        w, h = (W, H) if node.kind in ACTIVITIES else ((50, 50) if "Gateway" in node.kind else (36, 36))
        cx = LANE_LABEL + 60 + column[node.id] * (W + GAP_X) + W // 2
        cy = lanes.index(node.lane) * LANE_H + LANE_H // 2 + index * 20
        if node.attached_to is not None:  # on the task's lower edge
            tx, ty, tw, th = bounds[node.attached_to]
            cx, cy = tx + tw - 20, ty + th
        bounds[node.id] = (cx - w // 2, cy - h // 2, w, h)
    width = LANE_LABEL + 120 + (max(column.values()) + 1) * (W + GAP_X)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        f'id="{process.id}_definitions" targetNamespace="https://digipark.example/approvals">',
        f'  <bpmn:collaboration id="{process.id}_collaboration">',
        f'    <bpmn:participant id="{process.id}_participant" name={quoteattr(process.name)} '
        f'processRef="{process.id}" />',
        "  </bpmn:collaboration>",
        f'  <bpmn:process id="{process.id}" name={quoteattr(process.name)} isExecutable="true">',
        "    <bpmn:extensionElements>",
        "      <spiffworkflow:properties>",
        f'        <spiffworkflow:property name="name_en" value={quoteattr(process.name_en)} />',
        "      </spiffworkflow:properties>",
        "    </bpmn:extensionElements>",
        f'    <bpmn:laneSet id="{process.id}_lanes">',
    ]
    for key, name in process.lanes:
        out.append(f'      <bpmn:lane id="lane_{key}" name="{key}">')
        out.append(f"        <bpmn:documentation>{name}</bpmn:documentation>")
        out.extend(f"        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>" for n in process.nodes if n.lane == key)
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    flow_ids = {f: f"flow_{f.source}_{f.target}" for f in process.flows}
    for node in process.nodes:
        attributes = f' calledElement="{node.called}"' if node.called else ""
        if node.attached_to:
            attributes += f' attachedToRef="{node.attached_to}" cancelActivity="false"'
        out.append(f'    <bpmn:{node.kind} id="{node.id}" name={quoteattr(node.name)}{attributes}>')
        if node.properties or node.decision:
            out.append("      <bpmn:extensionElements>")
            if node.decision:
                out.append(f"        <spiffworkflow:calledDecisionId>{node.decision}</spiffworkflow:calledDecisionId>")
            if node.properties:
                out.append("        <spiffworkflow:properties>")
                out.extend(
                    f'          <spiffworkflow:property name="{k}" value={quoteattr(v)} />' for k, v in node.properties
                )
                out.append("        </spiffworkflow:properties>")
            out.append("      </bpmn:extensionElements>")
        out.extend(f"      <bpmn:incoming>{flow_ids[f]}</bpmn:incoming>" for f in process.flows if f.target == node.id)
        out.extend(f"      <bpmn:outgoing>{flow_ids[f]}</bpmn:outgoing>" for f in process.flows if f.source == node.id)
        if node.timer:
            out.append(f'      <bpmn:timerEventDefinition id="{node.id}_timer">')
            out.append(f"        <bpmn:timeDate>{_escape(node.timer)}</bpmn:timeDate>")
            out.append("      </bpmn:timerEventDefinition>")
        if node.terminate:
            out.append(f'      <bpmn:terminateEventDefinition id="{node.id}_terminate" />')
        out.append(f"    </bpmn:{node.kind}>")
    for f in process.flows:
        name = f" name={quoteattr(f.name)}" if f.name else ""
        head = f'    <bpmn:sequenceFlow id="{flow_ids[f]}" sourceRef="{f.source}" targetRef="{f.target}"{name}'
        if f.condition is None:
            out.append(head + " />")
        else:
            out.append(head + ">")
            out.append(f"      <bpmn:conditionExpression>{_escape(f.condition)}</bpmn:conditionExpression>")
            out.append("    </bpmn:sequenceFlow>")
    out.append("  </bpmn:process>")
    out.append(f'  <bpmndi:BPMNDiagram id="{process.id}_diagram">')
    out.append(f'    <bpmndi:BPMNPlane id="{process.id}_plane" bpmnElement="{process.id}_collaboration">')
    out.append(
        f'      <bpmndi:BPMNShape id="{process.id}_participant_di" bpmnElement="{process.id}_participant" '
        f'isHorizontal="true"><dc:Bounds x="0" y="0" width="{width}" height="{len(lanes) * LANE_H}" />'
        "</bpmndi:BPMNShape>"
    )
    for i, key in enumerate(lanes):
        out.append(
            f'      <bpmndi:BPMNShape id="lane_{key}_di" bpmnElement="lane_{key}" isHorizontal="true">'
            f'<dc:Bounds x="{LANE_LABEL}" y="{i * LANE_H}" width="{width - LANE_LABEL}" height="{LANE_H}" />'
            "</bpmndi:BPMNShape>"
        )
    for node in process.nodes:
        x, y, w, h = bounds[node.id]
        out.append(
            f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}">'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" /></bpmndi:BPMNShape>'
        )
    for f in process.flows:
        sx, sy, sw, sh = bounds[f.source]
        tx, ty, tw, th = bounds[f.target]
        if tx > sx:
            points = [(sx + sw, sy + sh // 2), (tx, ty + th // 2)]
        else:  # back to an earlier node: go below both
            low = max(sy + sh, ty + th) + 15
            points = [(sx + sw // 2, sy + sh), (sx + sw // 2, low), (tx + tw // 2, low), (tx + tw // 2, ty + th)]
        waypoints = "".join(f'<di:waypoint x="{px}" y="{py}" />' for px, py in points)
        out.append(
            f'      <bpmndi:BPMNEdge id="{flow_ids[f]}_di" bpmnElement="{flow_ids[f]}">{waypoints}</bpmndi:BPMNEdge>'
        )
    out.append("    </bpmndi:BPMNPlane>")
    out.append("  </bpmndi:BPMNDiagram>")
    out.append("</bpmn:definitions>")
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _single_review_chain(
    process_id: str,
    name: tuple[str, str],
    steps: tuple[tuple[str, tuple[str, str], str, int], ...],
    lanes: tuple[tuple[str, str], ...],
    *,
    intake: bool = False,
    supervised: tuple[str, ...] = (),
) -> Process:
    """Reviews one after another; each may approve (next), reject (end), or return it for correction (the applicant
    corrects, the same review again). `intake`: the one-stop window's completeness check (the shared process
    `document_completeness`, a call activity) comes first and may refuse the application. `supervised`: the
    reviews that escalate to the park office when their statutory deadline passes (a timer on the task; the park
    office's supervision task opens, the review stays open; the outcome ends whatever is still open)."""
    first = steps[0][0]
    nodes: list[Node] = [Node("start", "startEvent", "提交申请", "applicant")]
    flows: list[Flow] = [Flow("start", "intake" if intake else first)]
    if intake:
        nodes += [
            Node("intake", "callActivity", "材料完整性核验（一窗受理）", "park_office", called=COMPLETENESS.id),
            Node("intake_gateway", "exclusiveGateway", "是否受理", "park_office"),
        ]
        flows += [
            Flow("intake", "intake_gateway"),
            Flow("intake_gateway", first, f"not ({decided(COMPLETENESS_CHECK, 'reject')})", "受理"),
            Flow("intake_gateway", "rejected", decided(COMPLETENESS_CHECK, "reject"), "不予受理"),
        ]
    for index, (task, title, lane, days) in enumerate(steps):
        gateway, fix = f"{task}_gateway", f"{task}_correction"
        following = steps[index + 1][0] if index + 1 < len(steps) else "approved"
        nodes += [review(task, title, lane, days), Node(gateway, "exclusiveGateway", "审查结论", lane), correction(fix)]
        flows += [
            Flow(task, gateway),
            Flow(gateway, following, decided(task, "approve"), "通过"),
            Flow(gateway, "rejected", decided(task, "reject"), "不予受理"),
            Flow(gateway, fix, decided(task, "return"), "退回补正"),
            Flow(fix, task),
        ]
        if task in supervised:
            overdue, supervision, done = f"{task}_overdue", f"{task}_supervision", f"{task}_supervised"
            nodes += [
                Node(
                    overdue,
                    "boundaryEvent",
                    "法定时限届满",
                    lane,
                    attached_to=task,
                    timer=f"statutory_deadline({days})",
                ),
                review(supervision, ("逾期督办", "Supervision of the overdue review"), "park_office", 1),
                Node(done, "endEvent", "督办完毕", "park_office"),
            ]
            flows += [Flow(overdue, supervision), Flow(supervision, done)]
    nodes += [
        Node("approved", "endEvent", "办结", steps[-1][2], terminate=bool(supervised)),
        Node("rejected", "endEvent", "不予办理", steps[-1][2], terminate=bool(supervised)),
    ]
    return Process(process_id, name[0], name[1], lanes, tuple(nodes), tuple(flows))


APPLICANT = ("applicant", "申请企业")
PARK_OFFICE = ("park_office", "管委会办公室")
COMPLETENESS_CHECK = "completeness_check"
COMPLETENESS = Process(
    "document_completeness",
    "材料完整性核验",
    "Completeness check of the documents",
    (APPLICANT, PARK_OFFICE),
    (
        Node("start", "startEvent", "收件", "park_office"),
        review(COMPLETENESS_CHECK, ("材料完整性核验", "Completeness check of the documents"), "park_office", 2),
        Node("completeness_gateway", "exclusiveGateway", "材料是否齐全", "park_office"),
        correction("completeness_correction", 5),
        Node("materials_complete", "endEvent", "材料齐全", "park_office"),
        Node("materials_refused", "endEvent", "不予受理", "park_office"),
    ),
    (
        Flow("start", COMPLETENESS_CHECK),
        Flow(COMPLETENESS_CHECK, "completeness_gateway"),
        Flow("completeness_gateway", "materials_complete", decided(COMPLETENESS_CHECK, "approve"), "齐全"),
        Flow("completeness_gateway", "materials_refused", decided(COMPLETENESS_CHECK, "reject"), "不予受理"),
        Flow(
            "completeness_gateway", "completeness_correction", decided(COMPLETENESS_CHECK, "return"), "一次性告知补正"
        ),
        Flow("completeness_correction", COMPLETENESS_CHECK),
    ),
)

ENTERPRISE_ENTRY = _single_review_chain(
    "enterprise_entry",
    ("企业入驻", "Enterprise entry"),
    (
        ("investment_review", ("招商部门初审", "First review by the investment department"), "investment", 5),
        ("office_approval", ("管委会审批", "Approval by the park's administrative committee"), "park_office", 3),
    ),
    (APPLICANT, ("investment", "招商服务部"), PARK_OFFICE),
    intake=True,
)
PROJECT_FILING = _single_review_chain(
    "project_filing",
    ("项目备案", "Project filing"),
    (("filing_review", ("经发部门备案审查", "Filing review by economic development"), "economic_development", 5),),
    (APPLICANT, ("economic_development", "经济发展局"), PARK_OFFICE),
    intake=True,
    supervised=("filing_review",),
)
CERTIFICATE_REQUEST = _single_review_chain(
    "certificate_request",
    ("证明开具", "Certificate request"),
    (("certificate_review", ("证明审核", "Certificate review"), "park_office", 3),),
    (APPLICANT, ("park_office", "管委会办公室")),
)


def _construction_precheck() -> Process:
    """Fire, environment and safety review in parallel; any rejection ends it, any return sends it back for one
    correction and all three review again; then the park office signs off."""
    departments = (
        ("fire_review", ("消防审查", "Fire safety review"), "fire"),
        ("environment_review", ("环保审查", "Environmental review"), "environment"),
        ("safety_review", ("安全审查", "Work safety review"), "safety"),
    )
    nodes = [
        Node("start", "startEvent", "提交申请", "applicant"),
        Node("fork", "parallelGateway", "分送各部门", "park_office"),
    ]
    nodes += [review(task, title, lane, 10) for task, title, lane in departments]
    nodes += [
        Node("join", "parallelGateway", "汇总意见", "park_office"),
        Node("outcome", "exclusiveGateway", "联合审查结论", "park_office"),
        correction("precheck_correction"),
        review(
            "office_approval",
            ("管委会出具预审意见", "Pre-check opinion of the administrative committee"),
            "park_office",
            3,
        ),
        Node("office_gateway", "exclusiveGateway", "审批结论", "park_office"),
        correction("office_correction"),
        Node("approved", "endEvent", "办结", "park_office"),
        Node("rejected", "endEvent", "不予办理", "park_office"),
    ]
    tasks = [t for t, _, _ in departments]
    any_reject = " or ".join(decided(t, "reject") for t in tasks)
    any_return = f"not ({any_reject}) and (" + " or ".join(decided(t, "return") for t in tasks) + ")"
    flows = [Flow("start", "fork")]
    flows += [Flow("fork", t) for t in tasks] + [Flow(t, "join") for t in tasks]
    flows += [
        Flow("join", "outcome"),
        Flow("outcome", "rejected", any_reject, "不予受理"),
        Flow("outcome", "precheck_correction", any_return, "退回补正"),
        Flow("outcome", "office_approval", " and ".join(decided(t, "approve") for t in tasks), "通过"),
        Flow("precheck_correction", "fork"),
        Flow("office_approval", "office_gateway"),
        Flow("office_gateway", "approved", decided("office_approval", "approve"), "通过"),
        Flow("office_gateway", "rejected", decided("office_approval", "reject"), "不予受理"),
        Flow("office_gateway", "office_correction", decided("office_approval", "return"), "退回补正"),
        Flow("office_correction", "office_approval"),
    ]
    lanes = (
        APPLICANT,
        ("fire", "消防"),
        ("environment", "生态环境"),
        ("safety", "应急管理"),
        ("park_office", "管委会办公室"),
    )
    return Process(
        "construction_precheck",
        "施工图联合预审（消防、环保、安全）",
        "Joint pre-check of construction drawings (fire, environment, safety)",
        lanes,
        tuple(nodes),
        tuple(flows),
    )


def _policy_subsidy() -> Process:
    """The eligibility table decides first (over platform data); an ineligible application ends at once; an eligible
    one is reviewed by economic development, then finance confirms the amount."""
    chain = _single_review_chain(
        "policy_subsidy",
        ("惠企政策申报与兑现", "Enterprise subsidy: application and payment"),
        (
            ("economy_review", ("经发部门审核", "Review by economic development"), "economic_development", 5),
            ("finance_review", ("财政部门复核兑现", "Finance review and payment"), "finance", 5),
        ),
        (APPLICANT, ("economic_development", "经济发展局"), ("finance", "财政局")),
    )
    nodes = list(chain.nodes)
    nodes.insert(
        1,
        Node("eligibility", "businessRuleTask", "政策资格判定", "economic_development", decision="subsidy_eligibility"),
    )
    nodes.insert(2, Node("eligibility_gateway", "exclusiveGateway", "是否符合条件", "economic_development"))
    nodes.append(Node("ineligible", "endEvent", "不符合申报条件", "economic_development"))
    flows = [f for f in chain.flows if f.source != "start"]
    flows = [
        Flow("start", "eligibility"),
        Flow("eligibility", "eligibility_gateway"),
        Flow("eligibility_gateway", "economy_review", "eligible == True", "符合"),
        Flow("eligibility_gateway", "ineligible", "eligible != True", "不符合"),
        *flows,
    ]
    return dataclasses.replace(chain, nodes=tuple(nodes), flows=tuple(flows))


DEMO = (
    ENTERPRISE_ENTRY,
    PROJECT_FILING,
    _construction_precheck(),
    _policy_subsidy(),
    CERTIFICATE_REQUEST,
    COMPLETENESS,
)


if __name__ == "__main__":
    for described in DEMO:
        (PROCESSES / f"{described.id}.bpmn").write_text(render(described), encoding="utf-8")
