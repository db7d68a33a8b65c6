"""`callsavvy send whatsapp|sms|robocall`: a bulk send from a file or a list, with a
progress bar on a terminal, plain lines otherwise, and the report at the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from callsavvy_async._cli.app import BaseUrl, PrivateKey, PublicKey, app, fail, make_client
from callsavvy_async._cli.distributed import AllowVolatile, Broker, distributed_send
from callsavvy_async._errors import AuthenticationError, CallsavvyError, InvalidRequestError
from callsavvy_async.bulk import preview_bulk
from callsavvy_async.recipients import iter_recipients

__all__ = [
    "EXIT_AUTH",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "progress_reporter",
    "report_table",
]

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130

send_app = typer.Typer(help="Send one message to many recipients (resumable with --journal).")
app.add_typer(send_app, name="send")
console = Console()

COUNTS = ("sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped")

RecipientsFile = Annotated[
    Path | None,
    typer.Option(
        "--recipients-file",
        "-f",
        help="CSV (column phone, number or recipient, else the first) or one number per line.",
    ),
]
To = Annotated[str | None, typer.Option("--to", help="Comma-separated numbers.")]
Message = Annotated[str, typer.Option("--message", "-m", help="The message.")]
Journal = Annotated[
    Path | None,
    typer.Option(help="SQLite journal: a re-run with it sends nothing already done."),
]
Concurrency = Annotated[int, typer.Option(min=1, max=512, help="Batches in flight.")]
Rate = Annotated[float | None, typer.Option("--rate", min=0.001, help="Requests per second.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Read and check recipients; send nothing.")]
JobId = Annotated[str | None, typer.Option("--job-id", help="Name the job (resume it by name).")]
ResendUnknown = Annotated[
    bool, typer.Option("--resend-unknown", help="On a re-run, send unknown batches again.")
]


def _recipients(recipients_file: Path | None, to: str | None) -> Any:
    """The recipients source: a readable file path or the --to list, holding at least one
    recipient (exit 2 otherwise, before any client or journal is made). A pipe is not read
    ahead, as what is read from it is gone."""
    if (recipients_file is None) == (to is None):
        fail("give exactly one of --recipients-file and --to", code=EXIT_USAGE)
    if to is not None:
        _require_recipients(to, "--to has no numbers")
        return to
    if recipients_file is None:
        fail("give --recipients-file or --to", code=EXIT_USAGE)
    try:
        recipients_file.open("rb").close()
    except OSError as exc:
        fail(f"cannot read recipients file {recipients_file}: {exc.strerror}", code=EXIT_USAGE)
    if recipients_file.is_file():
        _require_recipients(
            recipients_file,
            f"recipients file {recipients_file} is empty (no numbers, only blank lines or a "
            "header)",
        )
    return recipients_file


def _require_recipients(source: Any, empty: str) -> None:
    """Exit 2 with `empty` unless `source` yields a recipient: an empty list is bad input,
    not a send of nothing. Reads only up to the first recipient."""

    async def first() -> bool:
        async for _ in iter_recipients(source):
            return True
        return False

    try:
        found = anyio.run(first)
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    if not found:
        fail(empty, code=EXIT_USAGE)


def report_table(report: Any) -> Table:
    """The bulk report as a two-column table: recipients read, then by outcome."""
    table = Table(title="Report", title_justify="left", show_header=False)
    table.add_column("outcome", style="bold")
    table.add_column("recipients", justify="right")
    table.add_row("read", str(report.total))
    for name in COUNTS:
        table.add_row(name, str(getattr(report, name)))
    table.add_row("batches", str(report.batches))
    table.add_row("cost", str(report.cost))
    table.add_row("elapsed", f"{report.elapsed:.1f} s")
    return table


@contextmanager
def progress_reporter(interactive: bool) -> Iterator[Callable[[Any], None]]:
    """A callback drawing a Rich bar on a terminal, or a plain line every few seconds."""
    if interactive:
        bar = Progress(
            TextColumn("[bold]sending"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sent {task.fields[sent]}  failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        task = bar.add_task("send", total=None, sent=0, failed=0)

        def draw(counts: Any) -> None:
            bar.update(task, completed=counts.total, sent=counts.sent, failed=counts.failed)

        with bar:
            yield draw
        return

    last = 0.0

    def log(counts: Any) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 2.0:
            last = now
            print(f"progress: {counts.total} recipients done, {counts.sent} sent", flush=True)

    yield log


def _exit_code(report: Any) -> int:
    return EXIT_INCOMPLETE if report.failed or report.unknown else EXIT_OK


def run_preview(arguments: dict[str, Any], batch_size: int) -> None:
    """--dry-run: read and check the recipients, send nothing; exit 2 on a bad recipients
    file and 130 on Ctrl-C, like a real send."""

    async def job() -> Any:
        return await preview_bulk(arguments["recipients"], batch_size=batch_size)

    try:
        preview = anyio.run(job)
    except KeyboardInterrupt:
        console.print("interrupted: nothing was sent")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except InvalidRequestError as exc:
        fail(str(exc), code=EXIT_USAGE)
    console.print("Dry run: nothing sent.")
    table = Table(show_header=False)
    for name in ("read", "valid", "invalid", "duplicate", "batches"):
        table.add_row(name, str(getattr(preview, name)))
    console.print(table)
    raise typer.Exit(EXIT_OK)


def _stopped(partial: Any, error: InvalidRequestError) -> NoReturn:
    """Bad input found during the send (a bad line deep in the file): exit 2 if nothing
    went out, else print the report so far and exit 1, as the send is incomplete."""
    if partial is None or not partial.batches:
        fail(str(error), code=EXIT_USAGE)
    console.print(report_table(partial))
    fail(f"{error}; the send stopped there", code=EXIT_INCOMPLETE)


def run_send(channel: str, arguments: dict[str, Any], options: dict[str, Any]) -> None:
    """Run one bulk send, print its report and exit with the documented code."""
    if options.pop("dry_run"):
        run_preview(arguments, arguments.get("batch_size", 30))
    distributed = {"broker": options.pop("broker"), "allow_volatile": options.pop("allow_volatile")}
    if distributed["broker"]:
        distributed_send(channel, arguments, options | distributed)
    cs = make_client(
        options.pop("public_key"),
        options.pop("private_key"),
        options.pop("base_url"),
        max_connections=max(options["concurrency"], 10),
    )
    interactive = console.is_terminal
    partial: Any = None

    async def job() -> Any:
        nonlocal partial
        async with cs:
            resource = getattr(cs, channel)
            with progress_reporter(interactive) as draw:

                def on_progress(report: Any) -> None:
                    nonlocal partial
                    partial = report
                    draw(report)

                return await resource.send_bulk(**arguments, **options, on_progress=on_progress)

    try:
        report = anyio.run(job)
    except KeyboardInterrupt:
        console.print("interrupted: batches in flight settled; the journal is consistent")
        if partial is not None:
            console.print(report_table(partial))
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except AuthenticationError as exc:
        fail(str(exc), code=EXIT_AUTH)
    except InvalidRequestError as exc:
        _stopped(partial, exc)
    except CallsavvyError as exc:
        fail(str(exc))
    console.print(report_table(report))
    for problem in report.errors[:5]:
        console.print(f"  {problem}", highlight=False, markup=False)
    raise typer.Exit(_exit_code(report))


def _options(
    journal: Path | None, concurrency: int, rate: float | None, **keys: Any
) -> dict[str, Any]:
    return {
        "journal": str(journal) if journal else None,
        "concurrency": concurrency,
        "rate_per_second": rate,
        **keys,
    }


@send_app.command("whatsapp")
def whatsapp(
    uid: Annotated[str, typer.Option(help="The WhatsApp channel UID.")],
    message: Message,
    recipients_file: RecipientsFile = None,
    to: To = None,
    journal: Journal = None,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    dry_run: DryRun = False,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Send a WhatsApp message (30 recipients per API call)."""
    recipients = _recipients(recipients_file, to)
    options = _options(
        journal,
        concurrency,
        rate,
        job_id=job_id,
        resend_unknown=resend_unknown,
        broker=broker,
        allow_volatile=allow_volatile_redis,
        public_key=public_key,
        private_key=private_key,
        base_url=base_url,
    )
    arguments = {"uid": uid, "recipients": recipients, "message": message}
    run_send("whatsapp", arguments, options | {"dry_run": dry_run})


@send_app.command("sms")
def sms(
    message: Message,
    recipients_file: RecipientsFile = None,
    to: To = None,
    sender_id: Annotated[str | None, typer.Option(help="Sender shown on phones.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="Numbers per call.")] = 100,
    journal: Journal = None,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    dry_run: DryRun = False,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Send an SMS."""
    recipients = _recipients(recipients_file, to)
    options = _options(
        journal,
        concurrency,
        rate,
        job_id=job_id,
        resend_unknown=resend_unknown,
        broker=broker,
        allow_volatile=allow_volatile_redis,
        public_key=public_key,
        private_key=private_key,
        base_url=base_url,
    )
    arguments = {
        "recipients": recipients,
        "message": message,
        "sender_id": sender_id,
        "batch_size": batch_size,
    }
    run_send("sms", arguments, options | {"dry_run": dry_run})


@send_app.command("robocall")
def robocall(
    message: Annotated[str, typer.Option("--message", "-m", help="Text to read, or an MP3 URL.")],
    call_type: Annotated[
        str, typer.Option(help="Text-2-Speech or Pre-recorded-Audio.")
    ] = "Text-2-Speech",
    duration: Annotated[int, typer.Option(min=1, help="Call length in minutes.")] = 1,
    recipients_file: RecipientsFile = None,
    to: To = None,
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="Numbers per call.")] = 100,
    journal: Journal = None,
    concurrency: Concurrency = 8,
    rate: Rate = None,
    dry_run: DryRun = False,
    job_id: JobId = None,
    resend_unknown: ResendUnknown = False,
    broker: Broker = None,
    allow_volatile_redis: AllowVolatile = False,
    public_key: PublicKey = None,
    private_key: PrivateKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Place robocalls that play a recording or read text aloud."""
    recipients = _recipients(recipients_file, to)
    options = _options(
        journal,
        concurrency,
        rate,
        job_id=job_id,
        resend_unknown=resend_unknown,
        broker=broker,
        allow_volatile=allow_volatile_redis,
        public_key=public_key,
        private_key=private_key,
        base_url=base_url,
    )
    arguments = {
        "recipients": recipients,
        "message": message,
        "call_type": call_type,
        "duration": duration,
        "batch_size": batch_size,
    }
    run_send("robocalls", arguments, options | {"dry_run": dry_run})
