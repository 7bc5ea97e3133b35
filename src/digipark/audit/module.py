"""The audit log's record (reading it over HTTP is the accounts module's)."""

from digipark.core.modules import Module

MODULE = Module(
    name="audit",
    title="Audit log",
    models=("digipark.audit.models",),
    background=("digipark.audit.checkpoints:start_checkpointer",),
)
