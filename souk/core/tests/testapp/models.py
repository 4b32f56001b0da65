from django.db import models

from souk.core.models import SoftDeleteModel, TimeStampedModel


class Widget(SoftDeleteModel, TimeStampedModel):
    name = models.CharField(max_length=50)


class WidgetNote(models.Model):
    widget = models.ForeignKey(Widget, on_delete=models.PROTECT)
    text = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.text
