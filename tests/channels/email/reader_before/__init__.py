"""A frozen copy of the mail reader as it was before the cheaper reader (branch `mailread`).

channels/email/{reader,parse,mime,classify}.py at main 83dbc50, imports pointed here and
nothing else changed (htmltext, quotes and bounce_text did not change and are imported from
channels/email): test_reader_equivalence.py reads the same
mails with this and with today's reader and compares every field of the results. Not used
by Loket; delete it together with that test once the new reader has stood for a while.
"""
