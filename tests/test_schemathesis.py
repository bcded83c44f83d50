"""schemathesis, with every check (auth and negative data included), finds no failure.

One in-process app on a manual clock; each operation gets positive and negative cases,
then a state machine walks linked operations from a fresh state each time.
"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mock_server import ManualClock, create_app, default_spec_path
from mock_server.api.state import state_of

FOLLOW_UPS = (
    "product_to_videos_gen_video",
    "product_to_videos_regen_image",
    "product_to_videos_regen_video",
)
CREDENTIALS = {"X-API-ID": "schemathesis", "X-API-KEY": "schemathesis-key"}

# Generated bodies carry webhook URLs on arbitrary hosts: deliveries stay in process.
app = create_app(
    clock=ManualClock(start=1_748_603_465.0),
    webhook_transport=httpx.MockTransport(lambda request: httpx.Response(204)),
)
config = SchemathesisConfig.from_dict(
    {
        "seed": 20261127,
        # Credentials in the config, not call_and_validate(headers=...): per-call headers
        # would undo the negative cases that drop an auth header.
        "headers": CREDENTIALS,
        "generation": {
            "mode": "all",
            "max-examples": 25,
            "deterministic": True,
            "database": "none",
        },
        "checks": {"enabled": True},
        # A follow-up on a record in the wrong state is refused with 400 although its
        # request is valid: the record's state is not part of the request, so schemathesis
        # cannot know. `refusals_of_valid_data_name_the_state` keeps that 400 honest.
        "operations": [
            {
                "include-operation-id": list(FOLLOW_UPS),
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
                    }
                },
            }
        ],
    }
)
schema = schemathesis.openapi.from_path(default_spec_path(), config=config)
schema.app = app


@schemathesis.check
def refusals_of_valid_data_name_the_state(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A valid request refused with 400 must be a wrong-state refusal, nothing else."""
    if response.status_code != 400 or case.meta is None:
        return None
    if case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
        return None
    detail = response.json().get("detail", "") if isinstance(response.json(), dict) else ""
    if "is not allowed while the record is" not in detail:
        raise AssertionError(f"valid data refused with 400 for another reason: {response.text}")
    return True


@schema.parametrize()
def test_every_operation_honours_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate()


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        state_of(app).reset()


TestWorkflows = Workflow.TestCase
TestWorkflows.settings = settings(
    TestWorkflows.settings, max_examples=30, stateful_step_count=6, derandomize=True
)
