"""Sites: the clinics of a program, created and renamed by an admin, seen by their own staff."""

import pytest
from pydantic import ValidationError

from alstrack.errors import Conflict, InvalidInput, NotFound
from alstrack.services import sites
from alstrack.services.sites import SiteIn, SiteUpdate


def test_an_admin_opens_a_site_that_all_site_roles_can_list(clinic):
    east = sites.create_site(
        clinic.db, clinic["adam"], SiteIn(code="EAST", name="Eastfield Clinic")
    )
    assert (east.code, east.name, east.version, east.synthetic) == (
        "EAST",
        "Eastfield Clinic",
        1,
        False,
    )
    assert east.created_at.utcoffset().total_seconds() == 0
    assert [s.code for s in sites.list_sites(clinic.db, clinic["aude"])] == [
        "EAST",
        "NORTH",
        "SOUTH",
    ]


def test_a_coordinator_lists_only_the_sites_they_work_at(clinic):
    assert [s.code for s in sites.list_sites(clinic.db, clinic["alice"])] == ["NORTH"]
    assert [s.code for s in sites.list_sites(clinic.db, clinic["sami"])] == ["SOUTH"]


def test_it_does_not_show_another_sites_record_to_a_coordinator(clinic):
    with pytest.raises(NotFound):
        sites.get_site(clinic.db, clinic["sami"], clinic.sites["NORTH"])


def test_it_refuses_a_second_site_with_the_same_code(clinic):
    with pytest.raises(Conflict):
        sites.create_site(clinic.db, clinic["adam"], SiteIn(code="NORTH", name="Another North"))


@pytest.mark.parametrize("code", ["north", "N", "NORTH-1", "A" * 17])
def test_it_refuses_a_site_code_that_is_not_2_to_16_capitals_or_digits(code):
    with pytest.raises(ValidationError) as caught:
        SiteIn(code=code, name="Somewhere")
    assert caught.value.errors()[0]["loc"] == ("code",)


def test_renaming_a_site_keeps_its_code_and_bumps_its_version(clinic):
    north = clinic.sites["NORTH"]
    renamed = sites.update_site(
        clinic.db,
        clinic["adam"],
        north,
        SiteUpdate(name="Northgate Neuromuscular Centre", version=1, reason="Clinic renamed"),
    )
    assert (renamed.code, renamed.name, renamed.version) == (
        "NORTH",
        "Northgate Neuromuscular Centre",
        2,
    )


def test_renaming_a_site_with_a_stale_version_is_a_conflict(clinic):
    north = clinic.sites["NORTH"]
    sites.update_site(
        clinic.db, clinic["adam"], north, SiteUpdate(name="N1", version=1, reason="r")
    )
    with pytest.raises(Conflict):
        sites.update_site(
            clinic.db, clinic["adam"], north, SiteUpdate(name="N2", version=1, reason="r")
        )
    assert sites.get_site(clinic.db, clinic["adam"], north).name == "N1"


def test_renaming_a_site_needs_a_reason(clinic):
    with pytest.raises(InvalidInput) as caught:
        sites.update_site(
            clinic.db,
            clinic["adam"],
            clinic.sites["NORTH"],
            SiteUpdate(name="Northgate", version=1, reason="   "),
        )
    assert [f.field for f in caught.value.fields] == ["reason"]
