"""Letters a citizen is owed (proof of request, written notice, extension notice, proof of
objection, the Atasan's answer, complaint receipt): one template per document, rendered to PDF
with the body's letterhead, number, date, signature and a verification code."""
