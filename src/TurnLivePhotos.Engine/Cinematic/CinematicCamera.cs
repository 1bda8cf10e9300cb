namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>
/// The engine's camera move at one instant, in the engine's scene: a pinhole view whose farthest point lies at
/// distance 1 and whose inverse depth is q = 1 + <see cref="CinematicCamera.DepthRange"/>·δ. The camera moves by
/// (ShiftX, ShiftY) sideways (in pixels of image motion per unit of q, i.e. focal length × translation) and by
/// Forward toward the scene (in units of the far distance), turning to keep the plane q = Pivot still; Zoom
/// enlarges the result about the centre so no frame shows past the photo's edge. These are only the move's knobs:
/// <see cref="Cameras"/> turns them into a <see cref="PinholeCamera"/> pair, the one model the renderer draws
/// (the turn that keeps the pivot plane still is a shifted principal point, exact for a sideways move).
/// </summary>
public readonly record struct CameraPose(double ShiftX, double ShiftY, double Forward, double Zoom, double Pivot)
{
    /// <summary>The engine's assumed focal length over the frame width, a phone's main camera (about 26 mm full-frame equivalent); the moves above do not depend on it.</summary>
    public const double FocalOverWidth = 0.8;

    public static CameraPose Rest => new(0, 0, 0, 1, CinematicCamera.InverseDepth(CinematicCamera.PivotDisparity));

    public bool IsRest => ShiftX == 0 && ShiftY == 0 && Forward == 0 && Zoom == 1;

    /// <summary>The photo's camera (at the origin) and the moved camera, for a frame of this size.</summary>
    public (PinholeCamera Source, PinholeCamera Target) Cameras(int width, int height)
    {
        var source = Intrinsics.Centred(width, height, FocalOverWidth);
        var f = source.Fx;
        var target = new Intrinsics(Zoom * f, Zoom * f, source.Cx + (Zoom * ShiftX * Pivot), source.Cy + (Zoom * ShiftY * Pivot));
        return (PinholeCamera.AtOrigin(source), new PinholeCamera(target, Matrix3.Identity, new Vector3d(ShiftX / f, ShiftY / f, Forward)));
    }

    /// <summary>Where a photo pixel at offset (dx, dy) from the centre, with inverse depth q, lands (offset from the centre).</summary>
    public (double X, double Y) Project(double dx, double dy, double q)
    {
        var (x, y, _) = CentredTransfer().Project(dx, dy, q);
        return (x, y);
    }

    /// <summary>The inverse of <see cref="Project"/> for a frame pixel whose inverse depth in the moved camera is q.</summary>
    public (double X, double Y) Unproject(double x, double y, double q) => CentredTransfer().Unproject(x, y, q);

    /// <summary>How much one photo pixel is magnified at inverse depth q (the footprint of a splatted pixel).</summary>
    public double Magnification(double q) => CentredTransfer().ScaleX * CentredTransfer().Project(0, 0, q).Q / q;

    /// <summary>The transfer for a one-pixel frame, whose centre is at 0, so pixel positions are offsets from the centre.</summary>
    private ViewTransfer CentredTransfer()
    {
        var (source, target) = Cameras(1, 1);
        return ViewTransfer.Between(source, target);
    }
}

/// <summary>The camera path of a clip: a one-way move from rest, eased in and out, scaled by motion_bucket_id.</summary>
public static class CinematicCamera
{
    /// <summary>q = 1 + DepthRange·δ: the nearest thing is taken to be at a quarter of the farthest thing's distance.</summary>
    public const double DepthRange = 3;

    /// <summary>Orbit and rise turn about the plane at this δ (a little behind mid-depth), so near and far slide apart.</summary>
    public const double PivotDisparity = 0.4;

    /// <summary>At motion bucket 255, a dolly magnifies the nearest plane by 16 % (the far plane by ~3.6 %).</summary>
    public const double MaxNearMagnification = 0.16;

    /// <summary>At motion bucket 255, an orbit or rise moves the nearest plane by 3 % of the frame against the pivot plane.</summary>
    public const double MaxNearShift = 0.03;

    public static double InverseDepth(double disparity) => 1 + (DepthRange * disparity);

    /// <summary>Smoothstep: starts and ends at rest, so ping-pong reverses without a jolt.</summary>
    public static double Ease(double t) => t * t * (3 - (2 * t));

    /// <param name="progress">0 at the first frame (the photo itself), 1 at the last.</param>
    /// <param name="direction">+1 or −1: which way an orbit or rise goes.</param>
    public static CameraPose At(CameraMove move, double progress, int motionBucketId, int width, int height, int direction = 1)
    {
        var amount = Ease(Math.Clamp(progress, 0, 1)) * Math.Clamp(motionBucketId, 0, ClipOptions.MaxMotionBucketId) / ClipOptions.MaxMotionBucketId;
        var near = InverseDepth(1);
        var pivot = InverseDepth(PivotDisparity);
        switch (move)
        {
            case CameraMove.Orbit:
            case CameraMove.Rise:
                var side = move == CameraMove.Orbit ? width : height;
                var shift = direction * amount * MaxNearShift * side / (near - pivot);

                // The farthest an edge pixel moves is |shift|·max(q − pivot); zooming by 1 / (1 − 2·that/side) covers it.
                var reach = Math.Abs(shift) * Math.Max(near - pivot, pivot - 1);
                var zoom = 1 / (1 - (2 * reach / side));
                return move == CameraMove.Orbit ? new CameraPose(shift, 0, 0, zoom, pivot) : new CameraPose(0, shift, 0, zoom, pivot);
            default:
                // Magnification of the nearest plane 1 / (1 − Forward·q_near) = 1 + MaxNearMagnification·amount.
                var forward = (1 - (1 / (1 + (MaxNearMagnification * amount)))) / near;
                return new CameraPose(0, 0, forward, 1, pivot);
        }
    }

    /// <summary>
    /// Picks a move from where the near mass of the scene sits (centroid of δ², so the nearest parts dominate): flat
    /// depth or a centred subject → dolly in; near things off to one side → orbit (they slide toward the centre);
    /// near things at the bottom (a foreground, a ground plane) → rise. Returns the move, its direction and why.
    /// </summary>
    public static (CameraMove Move, int Direction, string Reason) Choose(DisparityField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.IsFlat)
        {
            return (CameraMove.Dolly, 1, "the depth is flat, so a plain push-in");
        }

        double total = 0, sumX = 0, sumY = 0;
        var step = Math.Max(1, Math.Max(field.Width, field.Height) / 256);
        for (var y = 0; y < field.Height; y += step)
        {
            for (var x = 0; x < field.Width; x += step)
            {
                var d = field.Values[(y * field.Width) + x];
                var w = d * d;
                total += w;
                sumX += w * (((x + 0.5) / field.Width) - 0.5);
                sumY += w * (((y + 0.5) / field.Height) - 0.5);
            }
        }

        var cx = total > 0 ? sumX / total : 0;
        var cy = total > 0 ? sumY / total : 0;
        const double offCentre = 0.1;
        if (Math.Abs(cx) >= offCentre && Math.Abs(cx) >= Math.Abs(cy))
        {
            return (CameraMove.Orbit, cx > 0 ? 1 : -1, $"the near things sit to the {(cx > 0 ? "right" : "left")}, so an orbit slides them across the background");
        }

        if (cy >= offCentre)
        {
            return (CameraMove.Rise, -1, "the near things fill the bottom, so the camera rises over them");
        }

        return (CameraMove.Dolly, 1, "the near things are central, so the camera moves in on them");
    }
}
