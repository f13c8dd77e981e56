"""The two baseline views: the least work the same stack can do, with and without the database."""

from django.http import HttpResponse
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import BenchRow

CONSTANT_BODY = b"<!doctype html><title>ok</title><p>ok</p>\n"


def constant(request):
    """Return the same small HTML page every time, without touching the database."""
    return HttpResponse(CONSTANT_BODY, content_type="text/html; charset=utf-8")


class BenchRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = BenchRow
        fields = ["id", "reference", "amount", "currency", "created"]
        read_only_fields = ["id", "created"]


class MinimalInsertView(APIView):
    """Validate a small JSON body with a serializer, INSERT one row, answer 201 with it."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request):
        serializer = BenchRowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)
