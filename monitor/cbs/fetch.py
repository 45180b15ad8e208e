"""Download a year's CBS Kerncijfers wijken en buurten for a list of gemeenten into the landing
zone, with the cbsodata client: `fetch_kwb(year, landing, gemeente_codes)` writes
`<landing>/<year>/kwb/`, the folder `cbsodata.get_data(table_id, dir=...)` writes, which
`monitor.cbs.kwb.load_kwb` reads.

The filter. The KWB table has one row per region; the rows of a gemeente are the gemeente
itself (`GM0796`), its wijken (`WK079601`) and its buurten (`BU07960101`), all with the
gemeente's four digits after a two-letter prefix. The filter is on `Codering_3` (the code as
text; the `WijkenEnBuurten` dimension key holds the same code), one OData v3 term per prefix:

    substringof('GM0796',Codering_3) or substringof('WK0796',Codering_3) or substringof('BU0796',Codering_3)

Letters occur only in the prefix, so `substringof` matches exactly those rows. `substringof`
is the string function CBS's own catalog uses in its default selections
(`substringof('JJ',Perioden)`); `startswith` is not documented for the CBS service.

Why several requests. The three terms of a gemeente take about 130 characters once URL-encoded,
so the ~64 Brabant gemeenten would need a query string of about 8,500 characters. The CBS OData
service runs on IIS, whose default limit is 2,048 characters of query string (longer requests
are refused with 404.15), so the gemeenten are split into batches whose query stays under
`MAX_QUERY_CHARS`, each batch is one `get_data` call into its own folder, and the data sets are
merged (the metadata parts are the same in every batch). cbsodata itself follows the service's
`odata.nextLink` paging within one request.

Defensive: third parties report that the CBS feed sometimes ignores a region filter; rows of
gemeenten that were not asked for are dropped after the download (and counted in
`fetch_log.json`), so the folder holds only the requested gemeenten either way.

The folder is assembled in a temporary folder beside it and moved into place only when
complete, so a failed download never leaves half a folder that `load_kwb` would read. An
existing download is refused unless `overwrite=True`. Offline or an unreachable API gives
`CbsFetchError`, naming the table, the year, the URL tried and what to do instead.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from monitor.cbs import kwb_spec
from monitor.presentation.folders import replace_folder

log = logging.getLogger(__name__)

CBS_BASE_URL = "https://opendata.cbs.nl"
FEED_PATH = "ODataFeed/odata"  # what cbsodata 1.x requests (cbsodata3.BULK)
MAX_QUERY_CHARS = 1800  # below IIS's default maxQueryString of 2,048, with room for $format and paging
TIMEOUT = (15, 300)  # seconds: connect, read (one page of the feed)
DATA_SETS = ("UntypedDataSet", "TypedDataSet")
FETCH_LOG = "fetch_log.json"
GEMEENTE_CODE = re.compile(r"GM\d{4}")
REGION_PREFIXES = ("GM", "WK", "BU")
_OPTIONS_LOCK = threading.Lock()  # cbsodata's https switch is module-level


class CbsFetchError(RuntimeError):
    """The KWB table could not be downloaded; the message names the table, the year, the URL
    tried and what to do instead."""


class CbsDownloadExists(CbsFetchError, FileExistsError):
    """A download is already in place and overwrite was not asked for."""


def kwb_table_id(year: int) -> str:
    table_ids = kwb_spec().get("table_ids", {})
    if int(year) not in table_ids:
        raise CbsFetchError(
            f"no CBS Kerncijfers wijken en buurten table known for {year}; known years: "
            f"{', '.join(str(y) for y in sorted(table_ids))} (monitor/cbs/kwb_variables.yaml)"
        )
    return table_ids[int(year)]


def gemeente_filter(codes: Iterable[str]) -> str:
    """The OData v3 filter for every row (gemeente, wijken, buurten) of `codes`."""
    return " or ".join(
        f"substringof('{prefix}{code[2:]}',Codering_3)" for code in codes for prefix in REGION_PREFIXES
    )


def filter_batches(codes: Iterable[str], max_query_chars: int = MAX_QUERY_CHARS) -> list[list[str]]:
    """The gemeenten split into as few consecutive batches as keep each request's encoded
    query string (`$format=json&$filter=...`, as requests encodes it) within `max_query_chars`."""
    batches: list[list[str]] = []
    for code in codes:
        if batches and _query_length(batches[-1] + [code]) <= max_query_chars:
            batches[-1].append(code)
        else:
            if _query_length([code]) > max_query_chars:
                raise ValueError(f"max_query_chars={max_query_chars} is too small for even one gemeente")
            batches.append([code])
    return batches


def _query_length(codes: list[str]) -> int:
    return len(urlencode({"$format": "json", "$filter": gemeente_filter(codes)}))


def fetch_kwb(
    year: int,
    landing: Path,
    gemeente_codes: list[str],
    *,
    overwrite: bool = False,
    typed: bool = False,
    base_url: str = CBS_BASE_URL,
    timeout: tuple[float, float] = TIMEOUT,
) -> Path:
    """Download KWB table `table_ids[year]` for the rows of `gemeente_codes` (each gemeente,
    its wijken and buurten) into `<landing>/<year>/kwb/` and return that folder.

    `typed=False` downloads the UntypedDataSet (values as text, `.` for secret, as the StatLine
    CSV export), `typed=True` the TypedDataSet; `load_kwb` reads both. `base_url` is the CBS
    OData host (`https://opendata.cbs.nl`); tests point it at a local server.
    Raises CbsDownloadExists when the folder exists and not `overwrite`, CbsFetchError when
    the service cannot be reached or answers with an error, or when it returns no rows for
    the gemeenten."""
    table_id = kwb_table_id(year)
    codes = _checked_codes(gemeente_codes)
    landing = Path(landing)
    edition_dir = landing / str(int(year))
    target = edition_dir / "kwb"
    if target.exists() and not overwrite:
        raise CbsDownloadExists(
            f"{target} already exists (a KWB download for {year}); pass overwrite=True "
            f"(`--overwrite`) to download table {table_id} again and replace it"
        )
    if (edition_dir / "kwb.csv").exists():
        raise CbsFetchError(
            f"{edition_dir / 'kwb.csv'} exists: the pipeline reads kwb.csv before kwb/, so a download would be "
            "ignored; move kwb.csv away first if the download should replace it"
        )

    edition_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".kwb-download-", dir=edition_dir))
    try:
        batches = filter_batches(codes)
        log.info("table %s (%s): %d gemeenten in %d request(s)", table_id, year, len(codes), len(batches))
        downloads = []
        for number, batch in enumerate(batches):
            folder = work / f"request_{number:02d}"
            _download(table_id, year, landing, folder, gemeente_filter(batch), typed, base_url, timeout)
            downloads.append((folder, batch))
        merged = work / "kwb"
        _merge(downloads, merged, codes, table_id, year, typed, base_url)
        replace_folder(merged, target)  # whole: the old folder goes only once the new one is in place
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("table %s (%s) saved in %s", table_id, year, target)
    return target


def _checked_codes(gemeente_codes) -> list[str]:
    if isinstance(gemeente_codes, str):
        raise ValueError("gemeente_codes must be a list of codes such as ['GM0796', 'GM0855'], not one string")
    codes = [str(code).strip() for code in gemeente_codes]
    bad = [code for code in codes if not GEMEENTE_CODE.fullmatch(code)]
    if bad:
        raise ValueError(f"not gemeente codes (GM + 4 digits): {', '.join(bad)}")
    if not codes:
        raise ValueError("no gemeente codes given; expected e.g. the codes of brabant_gemeenten(year)")
    return list(dict.fromkeys(codes))


def _download(table_id, year, landing, folder: Path, filters: str, typed: bool, base_url: str, timeout) -> None:
    import cbsodata  # imported here: only a download needs the client
    import requests

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be like https://opendata.cbs.nl, not {base_url!r}")
    table_url = f"{parts.scheme}://{parts.netloc}/{FEED_PATH}/{table_id}/"
    kwargs = {"timeout": timeout}
    if _bypasses_proxy(base_url):
        kwargs["proxies"] = {"http": None, "https": None}
    try:
        with _OPTIONS_LOCK:
            previous = cbsodata.options.use_https
            cbsodata.options.use_https = parts.scheme == "https"
            try:
                # cbsodata 1.x downloads the *other* data set than its `typed` flag says
                # (J535D165/cbsodata issue #20, open): ask for the opposite; _merge takes the data
                # set that was written and fetch_log.json records which one it is.
                cbsodata.get_data(table_id, dir=str(folder), typed=not typed, filters=filters,
                                  catalog_url=parts.netloc, **kwargs)
            finally:
                cbsodata.options.use_https = previous
    except requests.RequestException as err:
        raise CbsFetchError(_failure(table_id, year, landing, _tried_url(err, table_url), _reason(err))) from err
    except (ValueError, KeyError, TypeError) as err:  # not the OData JSON cbsodata expects
        raise CbsFetchError(_failure(
            table_id, year, landing, table_url, f"the answer is not CBS OData JSON ({type(err).__name__}: {err})"
        )) from err


def _bypasses_proxy(base_url: str) -> bool:
    """cbsodata hands the proxies of http(s)_proxy to requests without no_proxy; a loopback
    host or one listed in no_proxy must be reached directly."""
    from requests.utils import should_bypass_proxies

    host = urlsplit(base_url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or should_bypass_proxies(base_url, no_proxy=None)


def _tried_url(err, fallback: str) -> str:
    for candidate in (err, err.__cause__):
        response = getattr(candidate, "response", None)
        if response is not None and getattr(response, "url", None):
            return response.url
        request = getattr(candidate, "request", None)
        if request is not None and getattr(request, "url", None):
            return request.url
    return fallback


def _reason(err) -> str:
    import requests

    if isinstance(err, requests.ConnectionError):
        kind = "the service could not be reached (offline, DNS, proxy or firewall?)"
    elif isinstance(err, requests.Timeout):
        kind = "the service did not answer in time"
    elif isinstance(err, requests.HTTPError):
        kind = "the service answered with an error"
    else:
        kind = "the request failed"
    detail = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"{kind}: {detail[:300]}"


def _failure(table_id: str, year: int, landing: Path, url: str, reason: str) -> str:
    return (
        f"could not download CBS table {table_id} (Kerncijfers wijken en buurten {year}) from {url}: {reason}. "
        f"Without access to the CBS open data service, download the table where there is access "
        f"(StatLine CSV export of {table_id}, or cbsodata.get_data('{table_id}', dir=...)) and place the "
        f"export in {Path(landing) / str(year) / 'kwb.csv'} (or the cbsodata folder as "
        f"{Path(landing) / str(year) / 'kwb'}/)"
    )


# --- merging the requests ------------------------------------------------------------------


def _merge(downloads, merged: Path, codes: list[str], table_id: str, year: int, typed: bool, base_url: str) -> None:
    """One folder in cbsodata's layout: the metadata parts of the first request, the data set
    rows of every request (each row once, by ID, in ID order), only those of `codes`."""
    first = downloads[0][0]
    data_set = _written_data_set(first, typed)
    merged.mkdir()
    for part in sorted(first.glob("*.json")):
        if part.stem not in DATA_SETS:
            shutil.copyfile(part, merged / part.name)

    wanted = {code[2:] for code in codes}
    rows: dict = {}
    requests_log, outside = [], 0
    for folder, batch in downloads:
        records = json.loads((folder / f"{data_set}.json").read_text(encoding="utf-8"))
        requests_log.append({"gemeenten": batch, "filter": gemeente_filter(batch), "rows": len(records)})
        for record in records:
            code = str(record.get("Codering_3") or "").strip()
            if code[:2] not in REGION_PREFIXES or code[2:6] not in wanted:
                outside += 1
                continue
            rows.setdefault(record.get("ID", code), record)  # ID: the row's key in the table
    if outside:
        log.warning("table %s: %d row(s) outside the requested gemeenten were dropped (filter not applied?)",
                    table_id, outside)
    if not rows:
        raise CbsFetchError(
            f"CBS table {table_id} ({year}) returned no rows for the {len(codes)} requested gemeente(n) "
            f"({', '.join(codes[:5])}{', ...' if len(codes) > 5 else ''}); check that the codes exist in {year}"
        )
    ordered = sorted(rows.values(), key=lambda r: (not isinstance(r.get("ID"), int), r.get("ID") or 0))
    _save(ordered, merged / f"{data_set}.json")
    import cbsodata

    _save({
        "table_id": table_id,
        "year": int(year),
        "data_set": data_set,
        "url": f"{base_url.rstrip('/')}/{FEED_PATH}/{table_id}/",
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "client": f"cbsodata {getattr(cbsodata, '__version__', '?')}",
        "gemeenten": codes,
        "requests": requests_log,
        "rows": len(ordered),
        "rows_outside_requested_gemeenten_dropped": outside,
    }, merged / FETCH_LOG)


def _written_data_set(folder: Path, typed: bool) -> str:
    written = [name for name in DATA_SETS if (folder / f"{name}.json").is_file()]
    if len(written) != 1:
        raise CbsFetchError(f"the cbsodata client wrote {written or 'no data set'} in {folder}; expected one data set")
    wanted = "TypedDataSet" if typed else "UntypedDataSet"
    if written[0] != wanted:
        log.warning("asked cbsodata for the %s, it wrote the %s (its typed flag, cbsodata issue #20); "
                    "load_kwb reads both", wanted, written[0])
    return written[0]


def _save(data, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:  # as cbsodata3._save_data: indent 2, ASCII-escaped
        json.dump(data, handle, indent=2)
