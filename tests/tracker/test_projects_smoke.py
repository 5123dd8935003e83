import pytest

pytestmark = pytest.mark.django_db


def test_admin_reads_a_private_project_with_basic(as_basic, admin, private_project):
    response = as_basic(admin).get(f"/api/projects/{private_project.id}")
    assert response.status_code == 200
    assert response.json()["short_name"] == "SEC"
