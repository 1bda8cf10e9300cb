# TurnLivePhotos in a container: the web page and the API on port 5000 (also what a Hugging Face Space runs).
#   docker build -t turn-live-photos .
#   docker run -p 5000:5000 -v "$PWD/models:/data/models" -v "$PWD/outputs:/data/outputs" turn-live-photos
# The publish and serve commands are the ones tests/TurnLivePhotos.Tests/Install/PublishTests.cs runs (it reads
# this file and compares); this file itself has not been built here (no Docker where it was written).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/TurnLivePhotos -c Release -r linux-x64 --self-contained -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
# No configuration.ini here: ModelsHome and OutputsHome default to models/ and outputs/ under the working folder.
# /data is writable by any user (a Hugging Face Space runs the container as uid 1000).
RUN mkdir -p /data/models /data/outputs && chmod -R a+rwX /data
WORKDIR /data
VOLUME ["/data/models", "/data/outputs"]
ENV TLP_WebOptions__Host=0.0.0.0 \
    TLP_WebOptions__Port=5000
EXPOSE 5000
ENTRYPOINT ["/app/turn-live-photos"]
CMD ["serve"]
