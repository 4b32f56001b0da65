from __future__ import annotations

import pytest

from souk.core.tests.testapp.models import Widget, WidgetNote

pytestmark = pytest.mark.django_db


def test_soft_deleted_rows_are_hidden_but_kept():
    kept = Widget.objects.create(name="kept")
    gone = Widget.objects.create(name="gone")

    gone.soft_delete()

    assert list(Widget.objects.values_list("name", flat=True)) == ["kept"]
    assert set(Widget.all_objects.values_list("name", flat=True)) == {"kept", "gone"}
    assert Widget.all_objects.dead().get() == gone
    assert gone.is_deleted
    assert not kept.is_deleted


def test_history_still_reaches_a_soft_deleted_row():
    widget = Widget.objects.create(name="w")
    note = WidgetNote.objects.create(widget=widget, text="line")
    widget.soft_delete()

    note = WidgetNote.objects.get(pk=note.pk)

    assert note.widget.name == "w"
    assert note.widget.is_deleted


def test_restore_brings_a_row_back():
    widget = Widget.objects.create(name="w")
    widget.soft_delete()

    widget.restore()

    assert Widget.objects.filter(pk=widget.pk).exists()


def test_queryset_soft_delete_and_restore_touch_only_matching_rows():
    Widget.objects.bulk_create([Widget(name=f"w{n}") for n in range(3)])

    assert Widget.objects.filter(name__in=["w0", "w1"]).soft_delete() == 2
    assert Widget.objects.count() == 1
    assert Widget.all_objects.filter(name="w0").restore() == 1
    assert Widget.objects.count() == 2


def test_timestamps_are_set():
    widget = Widget.objects.create(name="w")

    assert widget.created_at is not None
    assert widget.updated_at >= widget.created_at
