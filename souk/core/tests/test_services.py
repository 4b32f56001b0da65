from datetime import timedelta

import pytest
from django.utils import timezone

from souk.core.services import model_update
from souk.core.tests.testapp.models import Widget, WidgetNote

pytestmark = pytest.mark.django_db


def test_model_update_saves_only_the_changed_fields_and_updated_at():
    widget = Widget.objects.create(name="old")
    Widget.objects.filter(pk=widget.pk).update(updated_at=timezone.now() - timedelta(days=1))
    widget.refresh_from_db()
    stale_updated_at = widget.updated_at
    deleted_elsewhere = timezone.now()
    Widget.all_objects.filter(pk=widget.pk).update(deleted_at=deleted_elsewhere)

    updated, has_updated = model_update(
        instance=widget, fields=["name", "deleted_at"], data={"name": "new"}
    )

    assert (updated, has_updated) == (widget, True)
    row = Widget.all_objects.get(pk=widget.pk)
    assert row.name == "new"
    assert row.deleted_at == deleted_elsewhere
    assert row.updated_at > stale_updated_at


def test_model_update_with_nothing_different_writes_nothing(django_assert_num_queries):
    widget = Widget.objects.create(name="same")

    with django_assert_num_queries(0):
        updated, has_updated = model_update(instance=widget, fields=["name"], data={"name": "same"})

    assert (updated, has_updated) == (widget, False)


def test_model_update_ignores_data_outside_the_fields(django_assert_num_queries):
    widget = Widget.objects.create(name="kept")

    with django_assert_num_queries(0):
        _, has_updated = model_update(instance=widget, fields=[], data={"name": "ignored"})

    assert has_updated is False
    assert widget.name == "kept"
    assert Widget.objects.get(pk=widget.pk).name == "kept"


def test_model_update_on_a_model_without_updated_at():
    note = WidgetNote.objects.create(widget=Widget.objects.create(name="w"), text="a")

    _, has_updated = model_update(instance=note, fields=["text"], data={"text": "b"})

    assert has_updated is True
    assert WidgetNote.objects.get(pk=note.pk).text == "b"
