"""A run plan localized for the docker and host executors (see podutils/localpod.py)."""

from __future__ import annotations

import logging

from minprow.executors.base import StartError
from minprow.podutils.downward import HostFacts
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.localpod import LocalizeError, localize, without_container
from minprow.podutils.render import RunPlan

log = logging.getLogger("minprow.executors")


def local_plan(
    plan: RunPlan, objects: LocalObjects, host: HostFacts | None, *, container: bool = True
) -> RunPlan:
    """The plan localized for this machine (`container=False`: for plain processes); StartError for a job that cannot start
    here (each missing Secret, key or host path on a line of its own)."""
    said = plan.localized  # whoever localized it has said its notes
    try:
        local = localize(plan, objects, host or HostFacts.of_this_machine())
    except LocalizeError as err:
        raise StartError(str(err)) from err
    if local.missing:
        raise StartError(
            f"ProwJob {plan.prowjob} ({plan.job}) needs what is not on this machine:\n"
            + "\n".join(f"  {line}" for line in local.missing)
        )
    notes = () if said else local.notes
    if not container:
        notes = (*notes, *without_container(local))
    for note in notes:
        log.warning("ProwJob %s (%s): %s", plan.prowjob, plan.job, note)
    return local
