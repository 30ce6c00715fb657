"""`dinerush capacity`: the highest order rate at which the SLO holds, found by steps of diners and a bisection.

search.py is the pure logic (judge a step, choose the next load, conclude); window.py cuts one step's numbers
out of Locust's stats history and the step's ledger; resources.py samples CPU and waits to name the limit;
driver.py runs it against a target; report.py writes capacity.html, summary.json and junit.xml.
"""
