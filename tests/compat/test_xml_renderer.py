"""The Targetprocess XML renderer: attributes, nesting, nil, and hostile text stays well-formed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from defusedxml.ElementTree import fromstring
from rest_framework.response import Response

from tests.compat.conftest import JSON, children, xml_of
from tokenward.compat.renderers import TargetprocessXMLRenderer, xml_name

HOSTILE = "<b>&amp;\"quoted\" 'single' \x07bell\x00nul\ufffe"


def render(data, *, status: int = 200, collection_tag: str | None = None):
    view = SimpleNamespace(xml_collection_tag=collection_tag) if collection_tag else None
    context = {"view": view, "response": Response(status=status)}
    return fromstring(TargetprocessXMLRenderer().render(data, renderer_context=context))


def test_resource_type_id_and_name_are_attributes_and_the_rest_are_children():
    root = render({"ResourceType": "Project", "Id": 7, "Name": "P", "Abbreviation": "PR"})

    assert (root.tag, root.attrib) == (
        "Project",
        {"ResourceType": "Project", "Id": "7", "Name": "P"},
    )
    assert [(child.tag, child.text) for child in root] == [("Abbreviation", "PR")]


def test_nested_entity_is_a_child_named_after_its_key():
    root = render(
        {"ResourceType": "User", "Id": 1, "Role": {"ResourceType": "Role", "Id": 2, "Name": "X"}}
    )

    assert children(root)["Role"].attrib == {"ResourceType": "Role", "Id": "2", "Name": "X"}


def test_none_is_nil_and_booleans_are_lower_case():
    root = render({"ResourceType": "User", "Id": 1, "Email": None, "IsActive": True, "X": False})

    fields = children(root)
    assert fields["Email"].attrib == {"nil": "true"}
    assert (fields["IsActive"].text, fields["X"].text) == ("true", "false")


def test_a_none_name_is_a_nil_child_not_an_attribute():
    root = render({"ResourceType": "UserStory", "Id": 1, "Name": None})

    assert "Name" not in root.attrib
    assert children(root)["Name"].attrib == {"nil": "true"}


def test_list_items_are_repeated_elements_named_by_their_resource_type():
    root = render(
        {
            "ResourceType": "UserStory",
            "Id": 1,
            "Tasks": [{"ResourceType": "Task", "Id": 2}, {"ResourceType": "Task", "Id": 3}],
            "Tags": ["a", "b"],
        }
    )

    fields = children(root)
    assert [(t.tag, t.get("Id")) for t in fields["Tasks"]] == [("Task", "2"), ("Task", "3")]
    assert [(t.tag, t.text) for t in fields["Tags"]] == [("Item", "a"), ("Item", "b")]


def test_collection_is_named_by_the_view_with_prev_and_next_attributes():
    root = render(
        {"Prev": "http://x/?skip=0&take=1", "Items": [{"ResourceType": "UserStory", "Id": 4}]},
        collection_tag="UserStories",
    )

    assert (root.tag, root.attrib) == ("UserStories", {"Prev": "http://x/?skip=0&take=1"})
    assert [child.tag for child in root] == ["UserStory"]


def test_error_body_becomes_an_error_element():
    root = render({"detail": "Not found.", "code": "not_found"}, status=404)

    assert root.tag == "Error"
    assert (root.findtext("detail"), root.findtext("code")) == ("Not found.", "not_found")


def test_hostile_text_renders_as_parseable_xml_with_unusable_characters_replaced():
    root = render({"ResourceType": "UserStory", "Id": 1, "Name": HOSTILE, "Description": HOSTILE})

    expected = "<b>&amp;\"quoted\" 'single' \ufffdbell\ufffdnul\ufffd"
    assert root.get("Name") == expected
    assert children(root)["Description"].text == expected


@pytest.mark.parametrize(
    ("key", "name"),
    [("$type", "_type"), ("1st", "_1st"), ("a b<c>", "a_b_c_"), ("xmlns", "_xmlns"), ("", "_")],
)
def test_keys_that_are_not_xml_names_are_made_into_valid_names(key, name):
    assert xml_name(key) == name
    assert render({key: "v"}).find(name).text == "v"


def test_empty_body_renders_nothing():
    assert TargetprocessXMLRenderer().render(None) == b""


@pytest.mark.django_db
def test_hostile_story_name_through_the_api_is_well_formed_xml_and_exact_json(
    as_basic, member, private_project, make_story
):
    story = make_story(private_project, name="<&\"'\x01>", description="a]]>b&c")
    client = as_basic(member)

    root = xml_of(client.get(f"/api/v1/UserStories/{story.id}"))
    body = client.get(f"/api/v1/UserStories/{story.id}", **JSON).json()

    assert root.get("Name") == "<&\"'\ufffd>"
    assert children(root)["Description"].text == "a]]>b&c"
    assert (body["Name"], body["Description"]) == ("<&\"'\x01>", "a]]>b&c")
