"""What a sender must respect besides the recipients' validity: opt-outs, quiet hours, the balance.

* :mod:`.suppression`: the numbers never to send to (an opt-out list), compact and sorted;
* :mod:`.quiet_hours`: each recipient's local time from its number; when a window opens;
* :mod:`.screening`: the validation pass that also sets suppressed recipients apart and
  groups the rest by quiet-hours window, and the batches read from those groups;
* :mod:`.balance`: the cost estimate checked against the account's balance before a send.

None of it runs when its parameter is unset: the usual validation pass is untouched.
"""
