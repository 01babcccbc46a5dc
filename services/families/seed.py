"""Demo data (SPEC §9): the Martin family of Clermont-l'Hérault and its two children, and the
second household of Hugo's father in Lodève (separated parents, SPEC §7b), in alternate weeks."""

import uuid
from datetime import date

import asyncpg

from services.common.demo import (
    DEMO_CHILD_HUGO_ID,
    DEMO_CHILD_LEA_ID,
    DEMO_FAMILY2_ID,
    DEMO_FAMILY_ID,
    DEMO_PARENT2_EMAIL,
    DEMO_PARENT_EMAIL,
    born,
    hugo_even_weeks_household,
)
from services.families import households, repo, service
from services.families.fields import today
from services.families.schemas import ChildCreate, CustodyIn, FamilyCreate

SEED = service.Actor(sub="seed-demo", role="system")


def demo_family() -> FamilyCreate:
    return FamilyCreate.model_validate({
        "name": "Famille Martin",
        "email": DEMO_PARENT_EMAIL,
        "address": {"line1": "12 rue des Oliviers", "postal_code": "34800",
                    "city": "Clermont-l'Hérault"},
        "phone_home": "04 67 96 00 00",
        "phone_mobile": "06 12 34 56 78",
        "caf_number": "1234567",
        "qf": 620,
        "guardians": [
            {"civility": "Madame", "last_name": "Martin", "first_name": "Claire",
             "relationship": "mère", "phone_mobile": "06 12 34 56 78",
             "email": DEMO_PARENT_EMAIL, "employer": "Centre hospitalier de Clermont-l'Hérault"},
            {"civility": "Monsieur", "last_name": "Martin", "first_name": "Julien",
             "relationship": "père", "phone_mobile": "06 98 76 54 32",
             "phone_work": "04 67 88 00 00", "employer": "Cave coopérative du Salagou"},
        ],
        "emergency_contacts": [
            {"name": "Anne Dupuis", "relationship": "grand-mère", "phone": "06 11 22 33 44"},
        ],
        "authorized_pickups": [
            {"name": "Anne Dupuis", "relationship": "grand-mère", "phone": "06 11 22 33 44"},
        ],
    })


def demo_children(on: date) -> list[tuple[uuid.UUID, ChildCreate]]:
    return [
        (DEMO_CHILD_LEA_ID, ChildCreate.model_validate({
            "last_name": "Martin", "first_name": "Léa", "birth_date": born(5, 4, on=on),
            "sex": "F", "school": "École maternelle Jean Jaurès", "school_level": "GS",
            "allergies": "Arachide", "pai": True,
            "pai_details": "Allergie alimentaire : trousse d'urgence avec stylo d'adrénaline.",
            "doctor_name": "Docteur Roux", "doctor_phone": "04 67 96 11 11",
            "image_rights_consent": True,
        })),
        (DEMO_CHILD_HUGO_ID, ChildCreate.model_validate({
            "last_name": "Martin", "first_name": "Hugo", "birth_date": born(9, 2, on=on),
            "sex": "M", "school": "École élémentaire Jules Ferry", "school_level": "CM1",
            "diet": "no_pork", "doctor_name": "Docteur Roux",
            "doctor_phone": "04 67 96 11 11", "image_rights_consent": True,
            "allowed_to_leave_alone": True,
        })),
    ]


def demo_second_household() -> FamilyCreate:
    """Hugo's father's household: its own address, phones, QF and contacts."""
    return FamilyCreate.model_validate({
        "name": "Famille Martin (Lodève)",
        "email": DEMO_PARENT2_EMAIL,
        "address": {"line1": "5 avenue de la Gare", "postal_code": "34700",
                    "city": "Lodève"},
        "phone_mobile": "06 55 44 33 22",
        "caf_number": "7654321",
        "qf": 940,
        "guardians": [
            {"civility": "Monsieur", "last_name": "Martin", "first_name": "Julien",
             "relationship": "père", "phone_mobile": "06 55 44 33 22",
             "email": DEMO_PARENT2_EMAIL, "employer": "Cave coopérative du Salagou"},
        ],
        "emergency_contacts": [
            {"name": "Paul Martin", "relationship": "grand-père", "phone": "06 77 88 99 00"},
        ],
    })


async def seed_demo(pool: asyncpg.Pool) -> bool:
    """Create the demo families once; False when they already exist. Their events
    (family_created, family_updated, child_created, child_linked…) wait in the outbox until
    the service relays them."""
    created = False
    async with pool.acquire() as conn, conn.transaction():
        if await repo.get_family(conn, DEMO_FAMILY_ID, lock=True) is None:
            await service.create_family(conn, body=demo_family(), actor=SEED,
                                        family_id=DEMO_FAMILY_ID)
            for child_id, child in demo_children(today()):
                await service.create_child(conn, family_id=DEMO_FAMILY_ID, body=child,
                                           actor=SEED, child_id=child_id)
            created = True
        if await repo.get_family(conn, DEMO_FAMILY2_ID) is None:
            await service.create_family(conn, body=demo_second_household(), actor=SEED,
                                        family_id=DEMO_FAMILY2_ID)
            await households.link_child(conn, family_id=DEMO_FAMILY2_ID,
                                        child_id=DEMO_CHILD_HUGO_ID,
                                        reason="Démo : résidence alternée de Hugo",
                                        actor=SEED)
            # Alternate weeks: the demo's holidays have one week in each household.
            await households.set_custody(conn, child_id=DEMO_CHILD_HUGO_ID, actor=SEED,
                                         body=CustodyIn(
                                             pattern="alternate_weeks",
                                             even_weeks_family_id=hugo_even_weeks_household(
                                                 today())))
            created = True
    return created
