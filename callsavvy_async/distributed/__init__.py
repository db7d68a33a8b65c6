"""One bulk job across many worker processes and machines (extra `distributed`): taskiq
carries shards over Redis, a RedisJournal holds the job's batches and claims, and a
limiter in Redis paces the whole job.

    report = await submit_job(url, cs.whatsapp.channel(uid, message), recipients,
                              job_id="spring-sale", batch_size=30)
    report = await wait_job(url, "spring-sale")
    report = await job_report(url, "spring-sale")
"""

from callsavvy_async.distributed._jobs import (
    JobReport,
    UnknownJobError,
    job_report,
    submit_job,
    wait_job,
)
from callsavvy_async.distributed._worker import Worker

__all__ = ["JobReport", "UnknownJobError", "Worker", "job_report", "submit_job", "wait_job"]
