from __future__ import annotations

from rest_framework import serializers

from souk.catalog.models import Category


class CategoryTreeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    children = serializers.ListField(child=serializers.DictField())


class CategoryFlatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    # DRF's metaclass moves declared fields off the class; `Field.parent` is not shadowed.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]


class CategoryWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.alive(), required=False, allow_null=True
    )
