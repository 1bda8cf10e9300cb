using System.Text.Json.Serialization;

namespace TurnLivePhotos.Server.Web;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorMessage))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
