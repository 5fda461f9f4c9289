"""The "am I owed compensation?" use case: numbers in, each parcel's promise decision out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parcels.claim_records import ClaimView
from parcels.policy import Policy, current_policy
from parcels.promise import PromiseDecision, decide
from parcels.storage.unit_of_work import UnitOfWork
from parcels.track import Finding, answer_message, finding_of, track_candidates
from parcels.tracking_numbers import Candidate


@dataclass(frozen=True, slots=True)
class PromiseAnswer:
    number: str
    finding: Finding
    decision: PromiseDecision | None = None
    claim: ClaimView | None = None  # the order's claim, when one was already made


def check_candidates(
    uow: UnitOfWork, candidates: Iterable[Candidate], now: datetime, policy: Policy | None = None
) -> list[PromiseAnswer]:
    policy = policy or current_policy()
    candidates = list(candidates)
    with uow.begin() as repos:
        found = repos.parcels.find([c.number for c in candidates if c.valid])
        claims = repos.claims.for_orders({parcel.order_key for parcel in found.values()})
    answers = []
    for candidate in candidates:
        finding = finding_of(candidate, found)
        parcel = found.get(candidate.number)
        if parcel is not None and finding is Finding.FOUND:
            decision = decide(parcel.facts, parcel.events, policy, now)
            answers.append(PromiseAnswer(candidate.number, finding, decision, claims.get(parcel.order_key)))
        else:
            answers.append(PromiseAnswer(candidate.number, finding))
    return answers


def promise_message(answer: PromiseAnswer, policy: Policy | None = None) -> tuple[str, dict[str, Any]]:
    """The catalogue message that explains ``answer``'s promise and the variables it needs."""
    decision = answer.decision
    if decision is None:
        return "tracking_number_problem", {"number": answer.number, "problem": str(answer.finding)}
    return "promise", promise_variables(decision, answer.claim, policy or current_policy())


def promise_variables(decision: PromiseDecision, claim: ClaimView | None, policy: Policy) -> dict[str, Any]:
    product = policy.products[decision.product_code]
    market = policy.markets[product.market]
    basis, owed, window = decision.basis, decision.owed, decision.claim_window
    return {
        "number": decision.tracking_number,
        "product_name": product.name,
        "outcome": str(decision.outcome),
        "at_risk": decision.at_risk,
        "promised_date": decision.promised_date,
        "time_zone": decision.time_zone,
        "paid_on": basis.paid_on if basis else None,
        "lead_days": basis.days if basis else None,
        "lead_unit": str(basis.unit) if basis else None,
        "skipped_dates": list(basis.holidays_skipped) if basis else [],
        "days_late": decision.days_late,
        "expected_by": decision.expected_by,
        "reasons": {str(reason.code): dict(reason.facts) for reason in decision.reasons},
        "tiers": [
            {"days_late": tier.days_late, "form": str(tier.form), "amount": tier.amount}
            for tier in product.compensation.tiers
        ],
        "currency": market.currency,
        "owed_amount": owed.amount if owed else None,
        "owed_form": str(owed.form) if owed else None,
        "tier_days_late": owed.tier_days_late if owed else None,
        "grant": str(product.compensation.grant),
        "claimable": decision.claimable,
        "claim_last_day": window.last_day if window else None,
        "claim_reference": claim.reference if claim else None,
        "claim_status": str(claim.status) if claim else None,
    }


def shipment_variables(uow: UnitOfWork, number: str, now: datetime) -> dict[str, Any] | None:
    """Every catalogue variable a real shipment can give (None: no such shipment), for previews.

    Nothing personal is in it: no name, phone, e-mail or address, only the parcel's own facts.
    """
    policy = current_policy()
    [answer] = check_candidates(uow, [Candidate(number)], now, policy)
    if answer.decision is None:
        return None
    [tracked] = track_candidates(uow, [Candidate(number)], now)
    _, status = answer_message(tracked)
    decision, claim = answer.decision, answer.claim
    variables = {**status, **promise_variables(decision, claim, policy)}
    owed = decision.owed
    variables.update(
        amount=claim.amount if claim else owed.amount if owed else None,
        form=claim.form if claim else str(owed.form) if owed else None,
        reference=claim.reference if claim else None,
        status=str(claim.status) if claim else None,
        tracking_url=None,
    )
    return variables
