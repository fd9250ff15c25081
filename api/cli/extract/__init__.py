"""``zonecut extract``: cut a folder of files with one model and file every crop.

A client of the API: it imports nothing of the server. The run (:mod:`.run`) walks the
paths it is given (:mod:`.inputs`) and hands every file to a *cutter* (:mod:`.cutter`): a
server's API over HTTP (:mod:`.client`), or — given by the command, without
``--server`` — this instance's extraction service in-process (:mod:`api.cli.local_cutter`),
a few at a time. It reads what each answer means (:mod:`.answers`), shows its progress
(:mod:`.progress`), can write a report (:mod:`.report`), copy the refused files aside and
mirror the crops (:mod:`.copies`).

Every request carries an ``Idempotency-Key`` made from the file's content, the model and
the options (:func:`.plan.idempotency_key`), so a second run over the same folder cuts
nothing twice.
"""
