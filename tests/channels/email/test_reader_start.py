"""Starting a mail reader worker (a new interpreter importing the parser) is not the first
mail's time: on a busy machine the imports alone can take longer than MAIL_PARSE_TIMEOUT_SECONDS,
and a good mail must not be quarantined for it."""

from __future__ import annotations

from channels.email.worker import MailReaderPool
from tests.support.emails import make_email


async def test_the_first_mail_is_read_even_when_the_reader_is_slow_to_import() -> None:
    # Imported here, not at collection: the module takes IMPORT_SECONDS to import.
    from tests.support.slow_import_reader import IMPORT_SECONDS, slow_to_import_reader

    budget = IMPORT_SECONDS - 1.0  # a mail's time: less than the worker's imports take
    pool = MailReaderPool(budget, 512, reader=slow_to_import_reader)
    try:
        result = await pool.read(make_email(message_id="<first@warga.test>"))
    finally:
        pool.close()
    assert result.failure is None
    assert result.reading is not None and result.reading.subject == "Permohonan informasi"
    assert pool.replaced == 0
