"""One-stop government services (一站式服务): approval processes as BPMN run by SpiffWorkflow, forms as JSON Schema,
deadlines in working days, and their statistics."""
