"""ETL worker: one job per SQS message; an interrupted job is resumed by the next delivery."""

import json
from typing import Any
from uuid import UUID

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from octag.etl.pipeline import run_job

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def run_job_message(record: SQSRecord) -> None:
    """A body that is not `{"job_id": <uuid>}` raises, so it ends in the dead-letter queue."""
    job = run_job(UUID(json.loads(record.body)["job_id"]))
    logger.info("etl job handled", extra={"job_id": str(job.id), "status": job.status})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=run_job_message, processor=processor, context=context
    )
