"""`callsavvy send whatsapp|sms|robocall`: a bulk send from a file or a list, with
progress on stderr, the report on stdout (a table, or one JSON object with --json), every
problem in a CSV with --problems, and the documented exit code."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
import typer

from callsavvy_async._cli.app import BaseUrl, PrivateKey, PublicKey, app, console, make_client
from callsavvy_async._cli.distributed import AllowVolatile, Broker, distributed_send
from callsavvy_async._cli.progress import SendProgress, send_progress
from callsavvy_async._cli.report import (
    exit_code,
    preview_json,
    preview_table,
    print_problems,
    report_json,
    report_table,
    write_problems,
)
from callsavvy_async._cli.runner import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    errors,
    fail,
    note,
    run_job,
    stopped,
)
from callsavvy_async._cli.sources import count_recipients, recipients_source
from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.bulk import BulkReport, Preview, preview_bulk

__all__ = ["run_send", "send_app"]

send_app = typer.Typer(
    help="Send one message to many recipients (resumable with --journal).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(send_app, name="send")

RecipientsFile = Annotated[
    Path | None,
    typer.Option(
        "--recipients-file",
        "-f",
        metavar="FILE",
        help="CSV (column phone, number or recipient, else the first) or one number per line.",
    ),
]
To = Annotated[str | None, typer.Option("--to", metavar="NUMBERS", help="Comma-separated numbers.")]
Message = Annotated[str, typer.Option("--message", "-m", metavar="TEXT", help="The message.")]
Journal = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE", help="SQLite journal: a re-run with it sends nothing already done."
    ),
]
JobId = Annotated[
    str | None,
    typer.Option(
        "--job-id",
        metavar="ID",
        help="Name the job, so a re-run with the same journal resumes it even if the "
        "message changed (needs --journal).",
    ),
]
ResendUnknown = Annotated[
    bool,
    typer.Option(
        "--resend-unknown",
        help="Resend recipients the journal marks unknown (their batch's answer was lost; "
        "they may get the message twice). Needs --journal.",
    ),
]
StrictNumbers = Annotated[
    bool,
    typer.Option(
        "--strict-numbers",
        help="Also check numbers against phonenumbers' data (the phonenumbers extra).",
    ),
]
Concurrency = Annotated[int, typer.Option(min=1, max=512, metavar="N", help="Batches in flight.")]
Rate = Annotated[
    float | None,
    typer.Option("--rate", min=0.001, metavar="N", help="Requests (batches) per second."),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Read and check recipients; send nothing.")]
JsonReport = Annotated[
    bool, typer.Option("--json", help="Print the final report as one JSON object.")
]
Problems = Annotated[
    Path | None,
    typer.Option(
        "--problems",
        metavar="FILE",
        help="Write every failed, unknown and invalid recipient to FILE as CSV "
        "(recipient, outcome, reason).",
    ),
]
BatchSize = Annotated[int, typer.Option(min=1, max=1000, metavar="N", help="Numbers per call.")]


def _check(options: dict[str, Any]) -> None:
    """Exit 2 for options that would do nothing."""
    if options["journal"] is not None or options["broker"]:
        return
    for flag, given in (
        ("--job-id", options["job_id"]),
        ("--resend-unknown", options["resend_unknown"]),
    ):
        if given:
            fail(f"{flag} acts on a journal: give --journal FILE (or --broker) too", EXIT_USAGE)


def run_preview(arguments: dict[str, Any], options: dict[str, Any]) -> NoReturn:
    """--dry-run: read and check the recipients, send nothing; exit 1 if none is valid
    (the send would send nothing), 2 on a bad recipients file."""

    async def job() -> Preview:
        return await preview_bulk(
            arguments["recipients"],
            batch_size=arguments.get("batch_size", 30),
            strict_numbers=options["strict_numbers"],
        )

    preview, signum = run_job(job)
    if preview is None or signum is not None:
        stopped(signum or signal.SIGINT, "nothing was sent")
    code = EXIT_OK if preview.valid else EXIT_FAILED
    if options["json"]:
        print(preview_json(preview))
    else:
        console.print("Dry run: nothing sent.")
        console.print(preview_table(preview))
    if not preview.valid:
        note("no valid recipient: a send would send nothing")
    raise typer.Exit(code)


def _finish(report: BulkReport, options: dict[str, Any]) -> None:
    """Print the report (table and first problems, or JSON) and write --problems."""
    problems_file: Path | None = options["problems"]
    if problems_file is not None:
        try:
            write_problems(problems_file, report)
        except OSError as exc:
            fail(f"cannot write problems file {problems_file}: {exc.strerror}")
    if options["json"]:
        print(report_json(report))
        return
    console.print(report_table(report))
    print_problems(console, report, problems_file)


def _bad_input(
    partial: BulkReport | None, error: InvalidRequestError, options: dict[str, Any]
) -> NoReturn:
    """Bad input found during the send (a bad line deep in the file): exit 2 if nothing
    went out, else print the report so far and exit 1, as the send is incomplete."""
    if partial is None or not partial.batches:
        fail(str(error), code=EXIT_USAGE)
    _finish(partial, options)
    fail(f"{error}; the send stopped there", code=EXIT_FAILED)


def run_send(channel: str, arguments: dict[str, Any], options: dict[str, Any]) -> NoReturn:
    """Run one bulk send, print its report and exit with the documented code."""
    _check(options)
    if options["dry_run"]:
        run_preview(arguments, options)
    if options["broker"]:
        distributed_send(channel, arguments, options)
    cs = make_client(
        options["public_key"],
        options["private_key"],
        options["base_url"],
        max_connections=max(options["concurrency"], 10),
    )
    bulk = {
        "journal": str(options["journal"]) if options["journal"] else None,
        "job_id": options["job_id"],
        "concurrency": options["concurrency"],
        "rate_per_second": options["rate"],
        "resend_unknown": options["resend_unknown"],
        "strict_numbers": options["strict_numbers"],
    }
    partial: list[BulkReport] = []
    bad_input: list[InvalidRequestError] = []

    async def send(progress: SendProgress) -> BulkReport | None:
        def on_progress(report: BulkReport) -> None:
            partial[:] = [report]
            progress(report)

        async with cs, anyio.create_task_group() as tasks:
            tasks.start_soon(_count, arguments["recipients"], progress)
            try:
                report: BulkReport = await getattr(cs, channel).send_bulk(
                    **arguments, **bulk, on_progress=on_progress
                )
            except InvalidRequestError as exc:
                bad_input.append(exc)
                return None
            finally:
                tasks.cancel_scope.cancel()
        return report

    with send_progress(errors, errors.is_terminal) as progress:
        report, signum = run_job(lambda: send(progress))
    if bad_input:
        _bad_input(partial[0] if partial else None, bad_input[0], options)
    if signum is not None:
        if partial:
            _finish(partial[0], options)
        stopped(
            signum,
            "in-flight batches settled; the journal is consistent"
            if partial
            else "nothing was sent",
        )
    assert report is not None
    _finish(report, options)
    raise typer.Exit(exit_code(report))


async def _count(source: Any, progress: SendProgress) -> None:
    progress.set_total(await count_recipients(source))


@send_app.command("whatsapp")
def whatsapp(
    uid: Annotated[str, typer.Option(metavar="UID", help="The WhatsApp channel UID.")],
    message: Message,
    recipients_file: RecipientsFile = None,
    to: To = None,
    journal: Journal = None,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    strict_numbers: StrictNumbers = False,
    dry_run: DryRun = False,
    json: JsonReport = False,
    problems: Problems = None,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Send a WhatsApp message (30 recipients per API call)."""
    options = dict(locals())
    recipients = recipients_source(recipients_file, to)
    arguments = {"uid": uid, "recipients": recipients, "message": message}
    run_send("whatsapp", arguments, options)


@send_app.command("sms")
def sms(
    message: Message,
    recipients_file: RecipientsFile = None,
    to: To = None,
    sender_id: Annotated[
        str | None, typer.Option(metavar="NAME", help="Sender shown on phones.")
    ] = None,
    batch_size: BatchSize = 100,
    journal: Journal = None,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    strict_numbers: StrictNumbers = False,
    dry_run: DryRun = False,
    json: JsonReport = False,
    problems: Problems = None,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Send an SMS."""
    options = dict(locals())
    recipients = recipients_source(recipients_file, to)
    arguments = {
        "recipients": recipients,
        "message": message,
        "sender_id": sender_id,
        "batch_size": batch_size,
    }
    run_send("sms", arguments, options)


@send_app.command("robocall")
def robocall(
    message: Annotated[
        str, typer.Option("--message", "-m", metavar="TEXT", help="Text to read, or an MP3 URL.")
    ],
    call_type: Annotated[
        str, typer.Option(metavar="TYPE", help="Text-2-Speech or Pre-recorded-Audio.")
    ] = "Text-2-Speech",
    duration: Annotated[int, typer.Option(min=1, metavar="MINUTES", help="Call length.")] = 1,
    recipients_file: RecipientsFile = None,
    to: To = None,
    batch_size: BatchSize = 100,
    journal: Journal = None,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    strict_numbers: StrictNumbers = False,
    dry_run: DryRun = False,
    json: JsonReport = False,
    problems: Problems = None,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Place robocalls that play a recording or read text aloud."""
    options = dict(locals())
    recipients = recipients_source(recipients_file, to)
    arguments = {
        "recipients": recipients,
        "message": message,
        "call_type": call_type,
        "duration": duration,
        "batch_size": batch_size,
    }
    run_send("robocalls", arguments, options)
